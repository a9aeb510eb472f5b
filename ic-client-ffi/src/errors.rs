//! How the library's typed errors become a status for C: each error enum of `ic-client` maps
//! its variants to the status a game can act on, keeping the message and the server's code.

use ic_client::SyncError;
use ic_client::api::{ApiError, FindMatchError};
use ic_client::community::PinError;
use ic_client::identity::IdentityError;
use ic_client::present::PresentError;
use ic_client::relay::RelayClientError;
use ic_client::staff::StaffError;
use ic_client::wallet::WalletError;

use crate::status::{FfiError, IcStatus};

impl From<ApiError> for FfiError {
    fn from(error: ApiError) -> Self {
        let message = error.to_string();
        match error {
            ApiError::InvalidUrl(_) => Self::invalid(message),
            ApiError::Transport { .. } => Self::new(IcStatus::Network, message),
            ApiError::Server { code, .. } => Self::refused(code, message),
            ApiError::BadResponse { .. } => Self::new(IcStatus::Protocol, message),
            ApiError::Document(pin) => pin.into(),
        }
    }
}

impl From<PinError> for FfiError {
    fn from(error: PinError) -> Self {
        let status = match error {
            PinError::BadFingerprintArgument(_) => IcStatus::InvalidArgument,
            PinError::BadDocument(_) | PinError::UnsupportedApiVersion(_) => IcStatus::Protocol,
            _ => IcStatus::Untrusted,
        };
        Self::new(status, error.to_string())
    }
}

impl From<WalletError> for FfiError {
    fn from(error: WalletError) -> Self {
        let status = match error {
            WalletError::UnknownCommunity(_) => IcStatus::NotFound,
            WalletError::Ambiguous(..) => IcStatus::InvalidArgument,
            _ => IcStatus::Wallet,
        };
        Self::new(status, error.to_string())
    }
}

impl From<SyncError> for FfiError {
    fn from(error: SyncError) -> Self {
        match error {
            SyncError::Api(api) => api.into(),
            SyncError::Pin(pin) => pin.into(),
            SyncError::Wallet(wallet) => wallet.into(),
            SyncError::AlreadyJoined { .. } => Self::new(IcStatus::Conflict, error.to_string()),
            SyncError::WrongIdentity { .. } => Self::new(IcStatus::Wallet, error.to_string()),
        }
    }
}

impl From<PresentError> for FfiError {
    fn from(error: PresentError) -> Self {
        match error {
            PresentError::Wallet(wallet) => wallet.into(),
            PresentError::NoValidRating { .. } => Self::new(IcStatus::NotFound, error.to_string()),
            PresentError::Malformed(_) => Self::invalid(error.to_string()),
        }
    }
}

impl From<IdentityError> for FfiError {
    fn from(error: IdentityError) -> Self {
        let status = match error {
            IdentityError::Missing(_) => IcStatus::NotFound,
            IdentityError::PassphraseRequired
            | IdentityError::WrongPassphrase
            | IdentityError::WeakPassphrase(_) => IcStatus::InvalidArgument,
            _ => IcStatus::Wallet,
        };
        Self::new(status, error.to_string())
    }
}

impl From<RelayClientError> for FfiError {
    fn from(error: RelayClientError) -> Self {
        let message = error.to_string();
        match error {
            RelayClientError::Tls(_) | RelayClientError::Ticket(_) => Self::invalid(message),
            RelayClientError::Socket(_)
            | RelayClientError::Connect(_)
            | RelayClientError::Connection(_)
            | RelayClientError::Read(_)
            | RelayClientError::Write(_) => Self::new(IcStatus::Network, message),
            RelayClientError::Frame(_)
            | RelayClientError::Unexpected
            | RelayClientError::NoBinding => Self::new(IcStatus::Protocol, message),
            RelayClientError::Kicked(reason) => {
                Self::refused(format!("kicked_{}", snake(&format!("{reason:?}"))), message)
            }
            RelayClientError::Disconnected(reason) => {
                Self::refused(snake(&format!("{reason:?}")), message)
            }
            RelayClientError::Closed => Self::new(IcStatus::Closed, message),
        }
    }
}

impl From<FindMatchError> for FfiError {
    fn from(error: FindMatchError) -> Self {
        let message = error.to_string();
        match error {
            FindMatchError::Api(api) => api.into(),
            FindMatchError::Cancelled { reason } => Self::refused(reason, message),
            FindMatchError::PartyPending { .. } => Self::refused("party_pending", message),
        }
    }
}

impl From<StaffError> for FfiError {
    fn from(error: StaffError) -> Self {
        match error {
            StaffError::NotJoined(_) => Self::new(IcStatus::NotFound, error.to_string()),
            StaffError::Wallet(wallet) => wallet.into(),
            StaffError::Api(api) => api.into(),
        }
    }
}

/// `LagStrikes` → `lag_strikes`: the relay's reasons as the snake_case codes the HTTP API uses.
pub(crate) fn snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_reasons_read_as_snake_case_codes() {
        assert_eq!(snake("LagStrikes"), "lag_strikes");
        assert_eq!(snake("Left"), "left");
        assert_eq!(snake("ProtocolViolation"), "protocol_violation");
    }

    #[test]
    fn a_server_refusal_keeps_its_code_and_an_unknown_community_is_not_found() {
        let refused: FfiError = ApiError::Server {
            url: "http://x/v1/players".into(),
            status: 403,
            code: "invite_required".into(),
            message: "an invite code is required".into(),
        }
        .into();
        assert_eq!(refused.status, IcStatus::Refused);
        assert_eq!(refused.code.as_deref(), Some("invite_required"));
        let missing: FfiError = WalletError::UnknownCommunity("nowhere".into()).into();
        assert_eq!(missing.status, IcStatus::NotFound);
        let twice: FfiError = SyncError::AlreadyJoined {
            slug: "a".into(),
            name: "A".into(),
        }
        .into();
        assert_eq!(twice.status, IcStatus::Conflict);
    }
}
