//! The API over real TCP: a tonic server on 127.0.0.1:0 in front of the in-memory stand-in
//! backend (the unit under test is the API layer: auth, validation, mapping, streams).

mod common;

use std::time::Duration;

use common::memory_backend::{default_limits, MemoryBackend};
use common::{authed, config, start, submit_request, with_token, TOKEN};
use crossbar_api::proto::{
    ActivateKillSwitchRequest, CancelParentRequest, ChildState, DeactivateKillSwitchRequest,
    GetLimitsRequest, GetParentRequest, GetPositionsRequest, InstrumentLimits, KillSwitchScope,
    KillSwitchStatusRequest, ListParentsRequest, ListVenuesRequest, ParentState, SessionState,
    SetLimitsRequest, StreamParentUpdatesRequest, StreamPositionsRequest, SubmitParentRequest,
};
use tokio_stream::StreamExt;
use tonic::Code;

/// Generous bound for anything the loaded machine should do "at once".
const PATIENCE: Duration = Duration::from_secs(30);

async fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !condition() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn kill_all() -> ActivateKillSwitchRequest {
    ActivateKillSwitchRequest {
        scope: KillSwitchScope::All as i32,
        allow_risk_reducing: true,
        reason: "drill".into(),
        ..ActivateKillSwitchRequest::default()
    }
}

fn kill_all_off() -> DeactivateKillSwitchRequest {
    DeactivateKillSwitchRequest {
        scope: KillSwitchScope::All as i32,
        ..DeactivateKillSwitchRequest::default()
    }
}

fn limits_request(entry: InstrumentLimits) -> SetLimitsRequest {
    SetLimitsRequest {
        instruments: vec![entry],
        expected_version: 0,
        ..SetLimitsRequest::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rpc_round_trips() {
    let server = start(config(false), MemoryBackend::roomy()).await;
    let mut orders = server.orders().await;

    let placed = orders
        .submit(authed(submit_request("rt-1")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(placed.parent_order_id, 1);
    assert_eq!(placed.client_order_id, "rt-1");
    assert_eq!(placed.limit_price, 1_892_500);
    assert_eq!(placed.state(), ParentState::Working);
    assert_eq!(placed.children.len(), 1);
    assert_eq!(placed.children[0].venue, "XNAS");

    server.backend.fill(1, 40, 1_892_400).await.unwrap();
    server.backend.fill(1, 10, 1_892_500).await.unwrap();
    let got = orders
        .get(authed(GetParentRequest { parent_order_id: 1 }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((got.cum_qty, got.leaves_qty), (50, 50));
    assert_eq!(got.avg_price, (40 * 1_892_400 + 10 * 1_892_500) / 50);
    assert_eq!(got.state(), ParentState::PartiallyFilled);
    assert_eq!(got.children[0].state(), ChildState::PartiallyFilled);

    orders.submit(authed(submit_request("rt-2"))).await.unwrap();
    let list = orders
        .list(authed(ListParentsRequest {
            active_only: false,
            limit: 0,
        }))
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<u64> = list.orders.iter().map(|o| o.parent_order_id).collect();
    assert_eq!(ids, [2, 1], "newest first");
    assert_eq!(list.sequence, 4, "two submits and two fills");

    let canceled = orders
        .cancel(authed(CancelParentRequest { parent_order_id: 1 }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(canceled.state(), ParentState::Canceled);
    assert_eq!((canceled.cum_qty, canceled.leaves_qty), (50, 0));
    let active = orders
        .list(authed(ListParentsRequest {
            active_only: true,
            limit: 10,
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(active.orders.len(), 1);

    let mut positions = server.positions().await;
    let snapshot = positions
        .get(authed(GetPositionsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(snapshot.sequence, 2);
    let aapl = &snapshot.positions[0];
    assert_eq!(
        (
            aapl.instrument_symbol.as_str(),
            aapl.net_qty,
            aapl.bought_qty
        ),
        ("AAPL", 50, 50)
    );
    assert_eq!(aapl.notional_bought, 40 * 1_892_400 + 10 * 1_892_500);
    assert_eq!(aapl.by_venue[0].venue, "XNAS");

    let mut limits = server.limits().await;
    let before = limits
        .get(authed(GetLimitsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(before.version, 1);
    assert_eq!(before.instruments.len(), 2);
    let changed = InstrumentLimits {
        max_order_qty: 777,
        ..default_limits("SPY")
    };
    let after = limits
        .set(authed(limits_request(changed.clone())))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(after.version, 2);
    let spy = limits
        .get(authed(GetLimitsRequest {
            instrument_symbol: "SPY".into(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(spy.instruments, [changed]);

    let mut kill = server.kill_switch().await;
    let on = kill
        .activate(authed(kill_all()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(on.active.len(), 1);
    assert_eq!(on.active[0].scope(), KillSwitchScope::All);
    assert!(on.active[0].allow_risk_reducing);
    let status = kill
        .status(authed(KillSwitchStatusRequest {}))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(status, on);
    let rejected = orders
        .submit(authed(submit_request("rt-3")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rejected.state(), ParentState::Rejected);
    assert_eq!(rejected.reject_code, "KillSwitch");

    let venues = server
        .venues()
        .await
        .list(authed(ListVenuesRequest {}))
        .await
        .unwrap()
        .into_inner();
    let codes: Vec<&str> = venues.venues.iter().map(|v| v.venue.as_str()).collect();
    assert_eq!(codes, ["XBOS", "XNAS"]);
    assert_eq!(venues.venues[1].session_state(), SessionState::Connected);
    assert!(venues.venues.iter().all(|v| v.kill_switch_active));

    let off = kill
        .deactivate(authed(kill_all_off()))
        .await
        .unwrap()
        .into_inner();
    assert!(off.active.is_empty());
    server.stop().await.unwrap();
}

fn maybe_token<T>(message: T, token: Option<&str>) -> tonic::Request<T> {
    match token {
        None => tonic::Request::new(message),
        Some(t) => with_token(message, t),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutating_calls_without_or_with_a_wrong_token_are_refused_and_change_nothing() {
    // Reads open: the refusals below are about mutation, not about reads.
    let server = start(config(true), MemoryBackend::roomy()).await;
    let mut orders = server.orders().await;
    let mut limits = server.limits().await;
    let mut kill = server.kill_switch().await;
    for token in [None, Some("wrong-token-0123456789abc"), Some("")] {
        let results = [
            orders
                .submit(maybe_token(submit_request("x"), token))
                .await
                .map(|_| ()),
            orders
                .cancel(maybe_token(
                    CancelParentRequest { parent_order_id: 1 },
                    token,
                ))
                .await
                .map(|_| ()),
            limits
                .set(maybe_token(limits_request(default_limits("AAPL")), token))
                .await
                .map(|_| ()),
            kill.activate(maybe_token(kill_all(), token))
                .await
                .map(|_| ()),
            kill.deactivate(maybe_token(kill_all_off(), token))
                .await
                .map(|_| ()),
        ];
        for result in results {
            let status = result.unwrap_err();
            assert_eq!(
                status.code(),
                Code::Unauthenticated,
                "{token:?}: {status:?}"
            );
            assert!(
                status.message().starts_with("API_UNAUTHENTICATED reason="),
                "{}",
                status.message()
            );
        }
    }
    assert_eq!(
        server.backend.applied(),
        0,
        "no command reached the backend"
    );
    assert!(server.backend.orders().is_empty());
    assert_eq!(server.backend.limits_version(), 1);
    assert!(server.backend.kill_switches().is_empty());
    assert_eq!(server.counter("api.unauthenticated"), 15);
    // The same calls with the token go through.
    orders.submit(authed(submit_request("x"))).await.unwrap();
    assert_eq!(server.backend.applied(), 1);
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_need_a_token_unless_configured_open() {
    let closed = start(config(false), MemoryBackend::roomy()).await;
    let status = closed
        .venues()
        .await
        .list(ListVenuesRequest {})
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    let status = closed
        .positions()
        .await
        .stream(StreamPositionsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(closed.backend.read_calls(), 0);
    closed
        .venues()
        .await
        .list(authed(ListVenuesRequest {}))
        .await
        .unwrap();
    closed.stop().await.unwrap();

    let open = start(config(true), MemoryBackend::roomy()).await;
    open.venues()
        .await
        .list(ListVenuesRequest {})
        .await
        .unwrap();
    open.orders()
        .await
        .list(ListParentsRequest::default())
        .await
        .unwrap();
    open.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_malformed_field_is_invalid_argument_naming_it_and_the_backend_is_not_called() {
    let server = start(config(false), MemoryBackend::roomy()).await;
    let mut orders = server.orders().await;
    let good = submit_request("bad-1");
    let submits: Vec<(&str, SubmitParentRequest)> = vec![
        (
            "instrument_symbol",
            SubmitParentRequest {
                instrument_symbol: "".into(),
                ..good.clone()
            },
        ),
        (
            "side",
            SubmitParentRequest {
                side: 0,
                ..good.clone()
            },
        ),
        (
            "side",
            SubmitParentRequest {
                side: 42,
                ..good.clone()
            },
        ),
        (
            "qty",
            SubmitParentRequest {
                qty: 0,
                ..good.clone()
            },
        ),
        (
            "limit_price",
            SubmitParentRequest {
                limit_price: 0,
                ..good.clone()
            },
        ),
        (
            "limit_price",
            SubmitParentRequest {
                limit_price: -1_892_500,
                ..good.clone()
            },
        ),
        (
            "order_type",
            SubmitParentRequest {
                order_type: 9,
                ..good.clone()
            },
        ),
        (
            "time_in_force",
            SubmitParentRequest {
                time_in_force: 0,
                ..good.clone()
            },
        ),
        (
            "strategy",
            SubmitParentRequest {
                strategy: 77,
                ..good.clone()
            },
        ),
        (
            "client_order_id",
            SubmitParentRequest {
                client_order_id: "".into(),
                ..good.clone()
            },
        ),
    ];
    let mut refused = Vec::new();
    for (field, request) in submits {
        refused.push((
            field,
            orders
                .submit(authed(request))
                .await
                .map(|_| ())
                .unwrap_err(),
        ));
    }
    refused.push((
        "parent_order_id",
        orders
            .cancel(authed(CancelParentRequest { parent_order_id: 0 }))
            .await
            .unwrap_err(),
    ));
    refused.push((
        "parent_order_id",
        orders
            .get(authed(GetParentRequest { parent_order_id: 0 }))
            .await
            .unwrap_err(),
    ));
    let bad_symbol = GetPositionsRequest {
        instrument_symbol: "aapl".into(),
    };
    refused.push((
        "instrument_symbol",
        server
            .positions()
            .await
            .get(authed(bad_symbol))
            .await
            .unwrap_err(),
    ));
    let bad_limits = InstrumentLimits {
        price_collar_bps: 0,
        ..default_limits("AAPL")
    };
    refused.push((
        "instruments[0].price_collar_bps",
        server
            .limits()
            .await
            .set(authed(limits_request(bad_limits)))
            .await
            .unwrap_err(),
    ));
    let mut kill = server.kill_switch().await;
    let venue_without_code = ActivateKillSwitchRequest {
        scope: KillSwitchScope::Venue as i32,
        ..kill_all()
    };
    refused.push((
        "venue",
        kill.activate(authed(venue_without_code)).await.unwrap_err(),
    ));
    let unknown_scope = DeactivateKillSwitchRequest {
        scope: 12,
        ..kill_all_off()
    };
    refused.push((
        "scope",
        kill.deactivate(authed(unknown_scope)).await.unwrap_err(),
    ));
    for (field, status) in &refused {
        assert_eq!(status.code(), Code::InvalidArgument, "{field}: {status:?}");
        let prefix = format!("API_INVALID_ARGUMENT field={field} reason=");
        assert!(
            status.message().starts_with(&prefix),
            "{field}: {}",
            status.message()
        );
    }
    assert_eq!(server.backend.applied(), 0);
    assert_eq!(server.backend.read_calls(), 0);
    assert_eq!(server.counter("api.invalid_argument"), refused.len() as u64);
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backend_refusals_map_to_their_codes() {
    let server = start(config(false), MemoryBackend::roomy()).await;
    let mut orders = server.orders().await;
    let missing = orders
        .get(authed(GetParentRequest {
            parent_order_id: 99,
        }))
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    assert_eq!(missing.message(), "API_NOT_FOUND what=parent_order_id=99");
    let unknown = SubmitParentRequest {
        instrument_symbol: "ZZZZ".into(),
        ..submit_request("u")
    };
    assert_eq!(
        orders.submit(authed(unknown)).await.unwrap_err().code(),
        Code::NotFound
    );
    orders.submit(authed(submit_request("dup"))).await.unwrap();
    let dup = orders
        .submit(authed(submit_request("dup")))
        .await
        .unwrap_err();
    assert_eq!(dup.code(), Code::AlreadyExists);
    assert_eq!(dup.message(), "API_DUPLICATE what=client_order_id=dup");
    orders
        .cancel(authed(CancelParentRequest { parent_order_id: 1 }))
        .await
        .unwrap();
    let again = orders
        .cancel(authed(CancelParentRequest { parent_order_id: 1 }))
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::FailedPrecondition);
    assert!(
        again
            .message()
            .starts_with("API_REJECTED code=NotCancelable"),
        "{}",
        again.message()
    );
    let stale = SetLimitsRequest {
        expected_version: 7,
        ..limits_request(default_limits("AAPL"))
    };
    let mismatch = server.limits().await.set(authed(stale)).await.unwrap_err();
    assert_eq!(mismatch.code(), Code::FailedPrecondition);
    assert!(mismatch
        .message()
        .starts_with("API_REJECTED code=VersionMismatch"));
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_command_queue_is_resource_exhausted_and_the_refused_command_is_not_applied() {
    let backend = MemoryBackend::new(2, PATIENCE, 64);
    let server = start(config(false), backend).await;
    let backend = &server.backend;
    backend.pause();
    let mut held = Vec::new();
    let mut orders = server.orders().await;
    let first = orders.clone();
    held.push(tokio::spawn(async move {
        first.clone().submit(authed(submit_request("q-0"))).await
    }));
    wait_until("the worker to hold the first command", || {
        backend.worker_waiting()
    })
    .await;
    for i in 1..=2 {
        let client = orders.clone();
        let id = format!("q-{i}");
        held.push(tokio::spawn(async move {
            client.clone().submit(authed(submit_request(&id))).await
        }));
    }
    wait_until("the queue to fill", || backend.queue_free() == 0).await;

    let refused = orders
        .submit(authed(submit_request("q-refused")))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::ResourceExhausted);
    assert_eq!(
        refused.message(),
        "API_QUEUE_FULL reason=command queue full (capacity 2)"
    );
    let kill_refused = server
        .kill_switch()
        .await
        .activate(authed(kill_all()))
        .await
        .unwrap_err();
    assert_eq!(kill_refused.code(), Code::ResourceExhausted);

    backend.resume();
    for call in held {
        call.await.unwrap().unwrap();
    }
    let mut ids: Vec<String> = backend
        .orders()
        .into_iter()
        .map(|o| o.client_order_id)
        .collect();
    ids.sort(); // q-1 and q-2 raced for the queue
    assert_eq!(
        ids,
        ["q-0", "q-1", "q-2"],
        "the refused submit never reached the core"
    );
    assert!(backend.kill_switches().is_empty());
    assert_eq!(server.counter("api.queue_full"), 2);
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_reply_in_time_is_deadline_exceeded() {
    let backend = MemoryBackend::new(4, Duration::from_millis(100), 64);
    let server = start(config(false), backend).await;
    server.backend.pause();
    let status = server
        .orders()
        .await
        .submit(authed(submit_request("slow")))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::DeadlineExceeded);
    assert!(
        status
            .message()
            .starts_with("API_BACKEND_TIMEOUT waited_ms=100"),
        "{}",
        status.message()
    );
    server.backend.resume();
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_stream_sends_snapshot_then_every_update_in_order() {
    let server = start(config(false), MemoryBackend::roomy()).await;
    let mut orders = server.orders().await;
    orders.submit(authed(submit_request("s-1"))).await.unwrap();
    orders.submit(authed(submit_request("s-2"))).await.unwrap();
    orders
        .cancel(authed(CancelParentRequest { parent_order_id: 2 }))
        .await
        .unwrap();
    let mut stream = orders
        .stream_updates(authed(StreamParentUpdatesRequest { parent_order_id: 0 }))
        .await
        .unwrap()
        .into_inner();
    let first = stream.next().await.unwrap().unwrap();
    assert!(first.snapshot);
    assert_eq!(first.sequence, 3);
    assert_eq!(
        first.order.unwrap().client_order_id,
        "s-1",
        "only active orders in the snapshot"
    );

    for qty in [10, 20, 30] {
        server.backend.fill(1, qty, 1_892_500).await.unwrap();
    }
    orders.submit(authed(submit_request("s-3"))).await.unwrap();
    let mut seen = Vec::new();
    for _ in 0..4 {
        let update = tokio::time::timeout(PATIENCE, stream.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert!(!update.snapshot);
        let order = update.order.unwrap();
        seen.push((update.sequence, order.parent_order_id, order.cum_qty));
        assert_eq!(order.update_sequence, update.sequence);
    }
    assert_eq!(seen, [(4, 1, 10), (5, 1, 30), (6, 1, 60), (7, 3, 0)]);

    // Filtered to one order: its current state, then only its changes.
    let mut one = orders
        .stream_updates(authed(StreamParentUpdatesRequest { parent_order_id: 3 }))
        .await
        .unwrap()
        .into_inner();
    let current = one.next().await.unwrap().unwrap();
    assert!(current.snapshot);
    assert_eq!(current.order.unwrap().parent_order_id, 3);
    server.backend.fill(1, 5, 1_892_500).await.unwrap();
    server.backend.fill(3, 7, 1_892_000).await.unwrap();
    let next = one.next().await.unwrap().unwrap();
    assert_eq!((next.sequence, next.order.unwrap().cum_qty), (9, 7));
    let missing = orders
        .stream_updates(authed(StreamParentUpdatesRequest {
            parent_order_id: 404,
        }))
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn position_stream_sends_snapshot_then_every_change_in_order_and_filters_by_symbol() {
    let server = start(config(false), MemoryBackend::roomy()).await;
    let mut orders = server.orders().await;
    orders.submit(authed(submit_request("p-1"))).await.unwrap();
    let msft = SubmitParentRequest {
        instrument_symbol: "MSFT".into(),
        ..submit_request("p-2")
    };
    orders.submit(authed(msft)).await.unwrap();
    server.backend.fill(1, 1, 1_892_500).await.unwrap();

    let mut positions = server.positions().await;
    let mut all = positions
        .stream(authed(StreamPositionsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    let mut msft_only = positions
        .stream(authed(StreamPositionsRequest {
            instrument_symbol: "MSFT".into(),
        }))
        .await
        .unwrap()
        .into_inner();
    let snapshot = all.next().await.unwrap().unwrap();
    assert!(snapshot.snapshot);
    assert_eq!(
        (snapshot.sequence, snapshot.position.unwrap().net_qty),
        (1, 1)
    );

    for i in 0..20u32 {
        let (id, qty) = if i % 2 == 0 { (1, 2) } else { (2, 3) };
        server.backend.fill(id, qty, 1_000_000).await.unwrap();
    }
    let (mut aapl_net, mut msft_net) = (1, 0);
    for expected_sequence in 2..=21 {
        let update = tokio::time::timeout(PATIENCE, all.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(update.sequence, expected_sequence);
        let position = update.position.unwrap();
        match position.instrument_symbol.as_str() {
            "AAPL" => aapl_net += 2,
            "MSFT" => msft_net += 3,
            other => panic!("unexpected {other}"),
        }
        let expected = if position.instrument_symbol == "AAPL" {
            aapl_net
        } else {
            msft_net
        };
        assert_eq!(position.net_qty, expected, "update {expected_sequence}");
    }
    let mut last = 0;
    for _ in 0..10 {
        let update = tokio::time::timeout(PATIENCE, msft_only.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(update.position.as_ref().unwrap().instrument_symbol, "MSFT");
        assert!(update.sequence > last);
        last = update.sequence;
    }
    assert_eq!(last, 21);
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_that_falls_behind_ends_with_data_loss() {
    // Broadcast of 4, stream buffer of 1, and a client that does not read while thousands of
    // updates are published: HTTP/2 flow control stops the copy task, the broadcast laps it.
    let backend = MemoryBackend::new(64, PATIENCE, 4);
    let mut cfg = config(false);
    cfg.stream_buffer = 1;
    let server = start(cfg, backend).await;
    let big = SubmitParentRequest {
        qty: 10_000,
        ..submit_request("lag")
    };
    server.orders().await.submit(authed(big)).await.unwrap();
    let mut stream = server
        .positions()
        .await
        .stream(authed(StreamPositionsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    for _ in 0..5_000 {
        server.backend.fill(1, 1, 1_892_500).await.unwrap();
    }
    let mut delivered = 0u64;
    let status = loop {
        match tokio::time::timeout(PATIENCE, stream.next()).await.unwrap() {
            Some(Ok(_)) => delivered += 1,
            Some(Err(status)) => break status,
            None => panic!("stream ended without DATA_LOSS after {delivered} items"),
        }
    };
    assert_eq!(status.code(), Code::DataLoss);
    assert!(
        status.message().starts_with("API_STREAM_LAGGED missed="),
        "{}",
        status.message()
    );
    assert!(delivered < 5_000);
    assert!(stream.next().await.is_none(), "nothing after the error");
    assert_eq!(server.counter("api.streams_lagged"), 1);
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_ends_open_streams_and_serve_returns() {
    let server = start(config(false), MemoryBackend::roomy()).await;
    let mut stream = server
        .orders()
        .await
        .stream_updates(authed(StreamParentUpdatesRequest::default()))
        .await
        .unwrap()
        .into_inner();
    let reader = tokio::spawn(async move {
        let mut items = 0;
        while let Some(item) = stream.next().await {
            item.expect("a clean end, not an error");
            items += 1;
        }
        items
    });
    tokio::time::timeout(PATIENCE, server.stop())
        .await
        .expect("serve returned")
        .unwrap();
    assert_eq!(
        tokio::time::timeout(PATIENCE, reader)
            .await
            .unwrap()
            .unwrap(),
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_up_refuses_a_config_without_tokens_and_a_busy_port() {
    let err = crossbar_api::bind(&crossbar_api::ApiConfig::default())
        .await
        .unwrap_err();
    assert!(err.to_string().starts_with("API_CONFIG_NO_TOKENS"), "{err}");
    let server = start(config(false), MemoryBackend::roomy()).await;
    let busy = crossbar_api::ApiConfig {
        addr: server.addr,
        tokens: vec![TOKEN.into()],
        ..Default::default()
    };
    let err = crossbar_api::bind(&busy).await.unwrap_err();
    assert!(
        err.to_string()
            .starts_with(&format!("API_BIND_FAILED addr={}", server.addr)),
        "{err}"
    );
    server.stop().await.unwrap();
}

/// Limits.Set of the gross / net exposure limits, the credit budget and the totals over real
/// TCP: present fields replace, absent ones stay, totals alone are a change, and a negative
/// value is INVALID_ARGUMENT naming the field with the backend not called.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_set_carries_gross_net_credit_and_totals() {
    let server = start(config(false), MemoryBackend::roomy()).await;
    let mut limits = server.limits().await;
    let before = limits
        .get(authed(GetLimitsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert!(before.max_gross_notional_total > 0 && before.max_net_notional_total > 0);
    assert!(before
        .instruments
        .iter()
        .all(|l| l.credit_notional.is_some()));

    let raised = InstrumentLimits {
        max_gross_notional: Some(0),
        max_net_notional: Some(i64::MAX),
        credit_notional: Some(123_456_789),
        ..default_limits("AAPL")
    };
    let reply = limits
        .set(authed(SetLimitsRequest {
            max_gross_notional_total: Some(55),
            ..limits_request(raised.clone())
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reply.version, 2);
    assert_eq!(reply.max_gross_notional_total, 55);
    assert_eq!(
        reply.max_net_notional_total, before.max_net_notional_total,
        "absent total unchanged"
    );
    let aapl = reply
        .instruments
        .iter()
        .find(|l| l.instrument_symbol == "AAPL")
        .unwrap();
    assert_eq!(*aapl, raised);

    // An entry without the new fields keeps them; totals alone are a change of their own.
    let plain = InstrumentLimits {
        max_gross_notional: None,
        max_net_notional: None,
        credit_notional: None,
        max_order_qty: 5,
        ..default_limits("AAPL")
    };
    let reply = limits
        .set(authed(limits_request(plain)))
        .await
        .unwrap()
        .into_inner();
    let aapl = reply
        .instruments
        .iter()
        .find(|l| l.instrument_symbol == "AAPL")
        .unwrap();
    assert_eq!(aapl.max_order_qty, 5);
    assert_eq!(aapl.credit_notional, Some(123_456_789));
    let reply = limits
        .set(authed(SetLimitsRequest {
            max_net_notional_total: Some(0),
            ..SetLimitsRequest::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (
            reply.version,
            reply.max_gross_notional_total,
            reply.max_net_notional_total
        ),
        (4, 55, 0)
    );

    let applied = server.backend.applied();
    let bad: Vec<(&str, SetLimitsRequest)> = vec![
        (
            "instruments[0].max_gross_notional",
            limits_request(InstrumentLimits {
                max_gross_notional: Some(-1),
                ..default_limits("AAPL")
            }),
        ),
        (
            "instruments[0].max_net_notional",
            limits_request(InstrumentLimits {
                max_net_notional: Some(-1),
                ..default_limits("AAPL")
            }),
        ),
        (
            "instruments[0].credit_notional",
            limits_request(InstrumentLimits {
                credit_notional: Some(-1),
                ..default_limits("AAPL")
            }),
        ),
        (
            "max_gross_notional_total",
            SetLimitsRequest {
                max_gross_notional_total: Some(-1),
                ..SetLimitsRequest::default()
            },
        ),
        (
            "max_net_notional_total",
            SetLimitsRequest {
                max_net_notional_total: Some(-1),
                ..limits_request(default_limits("AAPL"))
            },
        ),
        ("instruments", SetLimitsRequest::default()),
    ];
    for (field, request) in bad {
        let status = limits.set(authed(request)).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{field}");
        assert!(
            status
                .message()
                .starts_with(&format!("API_INVALID_ARGUMENT field={field} reason=")),
            "{field}: {}",
            status.message()
        );
    }
    assert_eq!(server.backend.applied(), applied, "backend never called");
    assert_eq!(server.backend.limits_version(), 4);
    server.stop().await.unwrap();
}
