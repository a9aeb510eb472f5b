//! Joining a relay the way a game client does: with the address, key and ticket an API answer
//! names (a `match_ready` event, a room seat, a spectator ticket).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ic_client::relay::{RelayClient, RelaySession};
use scr::{KeyPair, PublicKey};
use serde_json::Value;

/// Connects `key` to the relay `answer` names. The client endpoint must outlive the session.
pub async fn connect_as(answer: &Value, key: &KeyPair) -> (RelayClient, RelaySession) {
    let ticket = BASE64.decode(answer["ticket"].as_str().unwrap()).unwrap();
    let address = answer["relay_address"].as_str().unwrap().parse().unwrap();
    let relay_key: PublicKey = answer["relay_key"].as_str().unwrap().parse().unwrap();
    let client = RelayClient::new("127.0.0.1:0".parse().unwrap()).unwrap();
    let session = client
        .connect(address, relay_key, key, &ticket)
        .await
        .unwrap();
    (client, session)
}
