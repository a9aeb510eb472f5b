/*
 * A game client in C: one player joins a community, syncs, presents and checks its rating
 * records offline, finds a ranked match through matchmaking, and plays it through the relay in
 * lockstep. Its "simulation" is a running hash of every order the relay hands out, so both
 * players compute the same state, report the same hashes, and agree on the winner. After the
 * certified result it keeps the new records and syncs again.
 *
 *   cc -I ../../include play_match.c ../../../target/debug/libic_client_ffi.a -lpthread -ldl -lm
 *   ./a.out http://127.0.0.1:8080 /tmp/alice
 *
 * Run two of them (two wallets) against one server and they play each other.
 *
 * On an error the example prints it and exits; the process's end releases every handle, so
 * the error paths do not free them one by one.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ic_client.h"

#define NETWORK_TIMEOUT_MS 20000
#define MATCH_TIMEOUT_MS 60000
/* The simulation ends the game once this tick has run. */
#define LAST_TICK 30
#define ORDER_MOVE 1

static int fail(const char *what, IcStatus status) {
    const char *message = ic_last_error_message();
    const char *code = ic_last_error_code();
    fprintf(stderr, "%s failed: status %d: %s%s%s\n", what, (int)status,
            message ? message : "(no message)", code ? " code " : "", code ? code : "");
    return 1;
}

/* FNV-1a: the whole simulation state of this example. */
static uint64_t mix(uint64_t state, const uint8_t *bytes, size_t len) {
    for (size_t i = 0; i < len; i++) {
        state ^= bytes[i];
        state *= 1099511628211ULL;
    }
    return state;
}

static IcStatus send_move(const IcRelaySession *session, uint64_t tick, int slot) {
    uint8_t payload[9];
    payload[0] = (uint8_t)slot;
    for (int i = 0; i < 8; i++) payload[1 + i] = (uint8_t)(tick >> (8 * i));
    IcOrder order = {ORDER_MOVE, payload, sizeof payload};
    return ic_relay_send_orders(session, tick, &order, 1);
}

/* The wallet's rating for this community, checked offline as a peer would check it. */
static int show_rating(IcClient *client, const char *slug, const char *when) {
    IcBytes presentation = {NULL, 0};
    IcStatus status = ic_client_present(client, slug, "ra", &presentation);
    if (status != IC_STATUS_OK) return fail("present", status);
    IcVerifier *verifier = NULL;
    status = ic_client_verifier(client, slug, &verifier);
    if (status != IC_STATUS_OK) return fail("verifier", status);
    IcVerification *verification = NULL;
    status = ic_verifier_check(verifier, ic_client_player_key(client), presentation.data,
                               presentation.len, 0, &verification);
    if (status != IC_STATUS_OK) return fail("verify", status);
    size_t count = ic_verification_len(verification);
    printf("%s: presented %zu bytes, %zu of %zu records valid offline\n", when, presentation.len,
           ic_verification_valid_count(verification), count);
    for (size_t i = 0; i < count; i++) {
        const IcRecordVerdict *verdict = ic_verification_get(verification, i);
        if (verdict->valid && verdict->game_module) {
            printf("%s: rating %s %.1f after %u games (record %" PRIu64 ")\n", when,
                   verdict->game_module, verdict->rating_milli / 1000.0, verdict->games_played,
                   verdict->sequence);
        } else if (!verdict->valid) {
            printf("%s: record %zu refused: %s\n", when, i, verdict->error);
        }
    }
    ic_verification_free(verification);
    ic_verifier_free(verifier);
    ic_bytes_free(&presentation);
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s <community url> <wallet directory>\n", argv[0]);
        return 2;
    }
    IcClient *client = NULL;
    IcStatus status = ic_client_open(argv[2], NULL, 1, &client);
    if (status != IC_STATUS_OK) return fail("open", status);
    printf("player %s\n", ic_client_player_key(client));

    char *slug = NULL;
    status = ic_client_join(client, argv[1], NULL, NULL, NETWORK_TIMEOUT_MS, &slug);
    if (status != IC_STATUS_OK) return fail("join", status);
    printf("joined %s\n", slug);

    IcCommunityList *list = NULL;
    status = ic_client_communities(client, &list);
    if (status != IC_STATUS_OK) return fail("communities", status);
    for (size_t i = 0; i < ic_community_list_len(list); i++) {
        const IcCommunity *c = ic_community_list_get(list, i);
        printf("community %s \"%s\" at %s, key %s\n", c->slug, c->name, c->server_url,
               c->fingerprint);
    }
    ic_community_list_free(list);

    IcSyncSummary summary;
    status = ic_client_sync(client, slug, NETWORK_TIMEOUT_MS, &summary);
    if (status != IC_STATUS_OK) return fail("sync", status);
    printf("synced: %u new, %u refused\n", summary.stored, summary.rejected);
    if (show_rating(client, slug, "before")) return 1;

    IcSeat *seat = NULL;
    status = ic_client_find_match(client, slug, "ra", "ranked_1v1", MATCH_TIMEOUT_MS, &seat);
    if (status != IC_STATUS_OK) return fail("find match", status);
    size_t ticket_len = 0;
    const uint8_t *ticket = ic_seat_ticket(seat, &ticket_len);
    IcRelaySession *session = NULL;
    status = ic_relay_connect(client, ic_seat_relay_address(seat), ic_seat_relay_key(seat), ticket,
                              ticket_len, NETWORK_TIMEOUT_MS, &session);
    if (status != IC_STATUS_OK) return fail("relay connect", status);
    int slot = ic_relay_slot(session);
    int team = ic_relay_team(session);
    printf("seated in game %" PRIu64 ": slot %d, team %d\n", ic_relay_game_id(session), slot,
           team);
    ic_seat_free(seat);

    uint64_t state = 14695981039346656037ULL;
    int reported = 0, certified = 0, records = 0, winner = -2;
    uint64_t ticks = 0, orders_seen = 0;
    time_t give_up = time(NULL) + MATCH_TIMEOUT_MS / 1000;
    while (!(certified && records) && time(NULL) < give_up) {
        IcFrame frame;
        status = ic_relay_poll(session, 100, &frame);
        if (status != IC_STATUS_OK) return fail("poll", status);
        if (frame.kind == IC_FRAME_KIND_CLOSED) break;
        switch (frame.kind) {
        case IC_FRAME_KIND_MATCH_START:
            printf("match started at tick %" PRIu64 ", %u us per tick\n", frame.tick,
                   frame.tick_interval_us);
            status = send_move(session, frame.tick, slot);
            if (status != IC_STATUS_OK) return fail("send", status);
            break;
        case IC_FRAME_KIND_TICK_ORDERS:
            ticks++;
            for (size_t i = 0; i < frame.order_count; i++) {
                const IcTickOrder *order = &frame.orders[i];
                orders_seen++;
                state = mix(state, &order->player_slot, 1);
                state = mix(state, order->payload, order->payload_len);
            }
            if (frame.tick % 10 == 0) ic_relay_sync_hash(session, frame.tick, state);
            if (frame.tick >= LAST_TICK && !reported) {
                uint8_t final_hash[32];
                for (int i = 0; i < 32; i++) final_hash[i] = (uint8_t)(state >> (8 * (i % 8)));
                winner = (int)(state & 1);
                printf("simulation over at tick %" PRIu64 ": team %d wins\n", frame.tick, winner);
                status = ic_relay_report_end(session, frame.tick, winner, 0, final_hash);
                if (status != IC_STATUS_OK) return fail("report end", status);
                reported = 1;
            } else if (!reported) {
                status = send_move(session, frame.tick + 1, slot);
                if (status != IC_STATUS_OK) return fail("send", status);
            }
            break;
        case IC_FRAME_KIND_MATCH_END:
            printf("match end: %s, winning team %d\n", frame.reason, frame.winner_team);
            break;
        case IC_FRAME_KIND_CERTIFIED_RESULT:
            printf("certified result: %zu bytes\n", frame.data_len);
            certified = 1;
            break;
        case IC_FRAME_KIND_RATING_UPDATE: {
            uint32_t stored = 0;
            status = ic_client_store_records(client, slug, frame.data, frame.data_len, &stored);
            if (status != IC_STATUS_OK) return fail("store records", status);
            printf("relay pushed %zu records, %u new in the wallet\n", frame.record_count, stored);
            records = 1;
            break;
        }
        case IC_FRAME_KIND_KICK:
        case IC_FRAME_KIND_DISCONNECT:
            fprintf(stderr, "the relay ended the session: %s\n", frame.reason);
            return 1;
        default:
            break;
        }
    }
    ic_relay_close(session);
    ic_relay_session_free(session);
    printf("played %" PRIu64 " ticks, saw %" PRIu64 " orders, state %016" PRIx64 "\n", ticks,
           orders_seen, state);
    if (!certified || !records) {
        fprintf(stderr, "the match did not finish: certified %d, records %d\n", certified, records);
        return 1;
    }
    printf("result: %s\n", winner == team ? "won" : "lost");

    status = ic_client_sync(client, slug, NETWORK_TIMEOUT_MS, &summary);
    if (status != IC_STATUS_OK) return fail("sync after the match", status);
    printf("synced after the match: %u new, %u refused\n", summary.stored, summary.rejected);
    if (show_rating(client, slug, "after")) return 1;

    ic_string_free(slug);
    ic_client_free(client);
    printf("done\n");
    return 0;
}
