//! The real `crossbar-aggregator` binary over real Aeron (the test's media driver, SHARED
//! threading) and real gRPC: the test plays three gateways and the operator.

mod common;

use std::time::Duration;

use common::*;
use crossbar_api::proto;
use crossbar_sbe::{self as sbe, Message};

const P100_00: i64 = 1_000_000;
const P100_01: i64 = 1_000_100;

/// Books: NASDAQ 100.00 x 100, BX 100.01 x 300, PSX 100.00 x 50 (asks); bids 99.90.
fn publish_books(gw: &mut Gateways, seq: u64) {
    gw.top(0, 1, seq, (999_000, 100), (P100_00, 100));
    gw.top(0, 2, seq, (999_000, 100), (P100_01, 300));
    gw.top(0, 3, seq, (999_000, 100), (P100_00, 50));
}

fn start(test: &str) -> (tempfile::TempDir, Gateways, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateways::start(test);
    let config = write_config(dir.path(), &gw.aeron);
    (dir, gw, config)
}

#[test]
fn sweep_fills_positions_kill_switch_heartbeat_loss_and_auth() {
    let (_dir, mut gw, config) = start("agg-e2e");
    let (agg, addr) = spawn_aggregator(&config);
    let op = Operator::connect(&addr);
    // Start-up credit reaches every gateway.
    for g in 1..=3 {
        gw.until(g, "start-up credit", |_| true);
        let grants = gw.drain(g, Duration::from_millis(300));
        assert!(
            grants
                .iter()
                .all(|m| matches!(m, Message::CreditGrant(c) if c.gateway_id.0 == g as u16)),
            "{grants:?}"
        );
    }
    op.wait_venues(&["NASDAQ", "BX", "PSX"], proto::SessionState::Connected);
    publish_books(&mut gw, 1);
    std::thread::sleep(Duration::from_millis(200));

    // Unauthenticated Submit is refused and nothing is sent.
    let err = op
        .submit(
            submit_request("no-token", 200, P100_01, true, proto::Strategy::Sweep),
            false,
        )
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::Unauthenticated, "{err:?}");
    for g in 1..=3 {
        let got = gw.drain(g, Duration::from_millis(200));
        assert!(children(&got).is_empty(), "gateway {g} got {got:?}");
    }

    // An IOC sweep of 200 @ 100.01: 100 @ 100.00 on NASDAQ (larger size first), 50 @ 100.00
    // on PSX, then 50 @ 100.01 on BX.
    let parent = op
        .submit(
            submit_request("sweep-1", 200, P100_01, true, proto::Strategy::Sweep),
            true,
        )
        .unwrap();
    assert_eq!(parent.qty, 200);
    let pid = parent.parent_order_id;
    let mut sent = Vec::new();
    for (g, price, qty) in [
        (1usize, P100_00, 100u32),
        (2, P100_01, 50),
        (3, P100_00, 50),
    ] {
        let msgs = gw.until(g, "a child order", |m| !children(m).is_empty());
        let c = children(&msgs);
        assert_eq!(c.len(), 1, "{msgs:?}");
        let expected = child(
            c[0].order_id,
            pid,
            g as u16,
            price,
            qty,
            true,
            c[0].timestamp_ns,
        );
        assert_eq!(c[0], expected);
        sent.push(c[0]);
    }
    // Fills come back: the parent fills, positions follow.
    for c in &sent {
        gw.report(c, sbe::ExecType::New, 0, 0, 0);
        gw.report(c, sbe::ExecType::Fill, c.qty.0, c.price.0, c.qty.0);
    }
    let filled = op.wait_parent(pid, "filled", |p| {
        p.state == proto::ParentState::Filled as i32
    });
    assert_eq!((filled.cum_qty, filled.leaves_qty), (200, 0));
    assert_eq!(
        filled.avg_price,
        (100 * P100_00 + 50 * P100_00 + 50 * P100_01) / 200
    );
    assert_eq!(filled.children.len(), 3);
    assert!(filled
        .children
        .iter()
        .all(|c| c.state == proto::ChildState::Filled as i32));
    let positions = op.positions();
    let aapl = positions
        .positions
        .iter()
        .find(|p| p.instrument_symbol == "AAPL")
        .expect("AAPL position");
    assert_eq!((aapl.net_qty, aapl.bought_qty), (200, 200));
    assert_eq!(aapl.by_venue.len(), 3);

    // A Day Post parent rests one child; the kill switch cancels it and reaches every gateway.
    let day = op
        .submit(
            submit_request("post-1", 100, 990_000, false, proto::Strategy::Post),
            true,
        )
        .unwrap();
    let mut resting = None;
    for g in 1..=3 {
        let got = gw.drain(g, Duration::from_millis(300));
        if let Some(c) = children(&got).first() {
            assert_eq!(
                (c.parent_order_id.0, c.qty.0, c.price.0),
                (day.parent_order_id, 100, 990_000)
            );
            resting = Some((g, *c));
        }
    }
    let (rg, rc) = resting.expect("the post child");
    gw.report(&rc, sbe::ExecType::New, 0, 0, 0);
    let status = op.kill(true);
    assert_eq!(status.active.len(), 1);
    assert_eq!(status.active[0].reason, "test halt");
    for g in 1..=3 {
        let got = gw.until(g, "the kill switch", |m| {
            m.iter().any(|x| matches!(x, Message::KillSwitch(_)))
        });
        let Some(Message::KillSwitch(k)) = got.iter().find(|x| matches!(x, Message::KillSwitch(_)))
        else {
            unreachable!()
        };
        assert!(k.active && k.scope == sbe::KillSwitchScope::All && k.reason == "test halt");
        if g == rg {
            let more = if got.iter().any(|x| matches!(x, Message::CancelOrder(_))) {
                got
            } else {
                gw.until(g, "the cancel", |m| {
                    m.iter().any(|x| matches!(x, Message::CancelOrder(_)))
                })
            };
            let cancel = more.iter().find_map(|x| match x {
                Message::CancelOrder(c) => Some(*c),
                _ => None,
            });
            assert_eq!(
                cancel.map(|c| (c.order_id, c.leave_qty.0)),
                Some((rc.order_id, 0))
            );
        }
    }
    gw.report(&rc, sbe::ExecType::Canceled, 0, 0, 0);
    op.wait_parent(day.parent_order_id, "canceled", |p| {
        p.state == proto::ParentState::Canceled as i32
    });
    let refused = op
        .submit(
            submit_request("while-killed", 10, P100_01, true, proto::Strategy::Sweep),
            true,
        )
        .unwrap_err();
    assert_eq!(
        refused.code(),
        tonic::Code::FailedPrecondition,
        "{refused:?}"
    );
    assert!(refused.message().contains("code=KillSwitch"), "{refused:?}");
    op.kill(false);
    for g in 1..=3 {
        gw.until(g, "the release", |m| {
            m.iter()
                .any(|x| matches!(x, Message::KillSwitch(k) if !k.active))
        });
    }

    // BX's heartbeats stop: it leaves routing; a sweep that would have used it does not.
    gw.heartbeats.set(2, false);
    op.wait_venues(&["BX"], proto::SessionState::HeartbeatLost);
    op.wait_venues(&["NASDAQ", "PSX"], proto::SessionState::Connected);
    publish_books(&mut gw, 2);
    std::thread::sleep(Duration::from_millis(100));
    let p2 = op
        .submit(
            submit_request("sweep-2", 200, P100_01, true, proto::Strategy::Sweep),
            true,
        )
        .unwrap();
    let n = children(&gw.until(1, "a child", |m| !children(m).is_empty()));
    let p = children(&gw.until(3, "a child", |m| !children(m).is_empty()));
    assert_eq!((n[0].qty.0, p[0].qty.0), (100, 50));
    let bx = gw.drain(2, Duration::from_millis(300));
    assert!(
        children(&bx).is_empty(),
        "BX has no heartbeat but got {bx:?}"
    );
    assert_eq!(n[0].parent_order_id.0, p2.parent_order_id);

    let (status, lines, stderr) = agg.terminate(DEADLINE);
    assert!(status.success(), "exit {status:?}\n{stderr}");
    let counters = lines
        .iter()
        .find(|l| l.starts_with("AGGREGATOR_COUNTERS"))
        .expect("counters");
    assert!(counters.contains("agg.journal_failed=0"), "{counters}");
}

#[test]
fn sigkill_and_restart_rebuild_orders_and_positions_from_the_journal() {
    let (_dir, mut gw, config) = start("agg-restart");
    let (agg, addr) = spawn_aggregator(&config);
    let op = Operator::connect(&addr);
    op.wait_venues(&["NASDAQ", "BX", "PSX"], proto::SessionState::Connected);
    publish_books(&mut gw, 1);
    std::thread::sleep(Duration::from_millis(200));
    let day = op
        .submit(
            submit_request("post-r", 100, 990_000, false, proto::Strategy::Post),
            true,
        )
        .unwrap();
    let mut resting = None;
    for g in 1..=3 {
        if let Some(c) = children(&gw.drain(g, Duration::from_millis(300))).first() {
            resting = Some(*c);
        }
    }
    let rc = resting.expect("the post child");
    gw.report(&rc, sbe::ExecType::New, 0, 0, 0);
    gw.report(&rc, sbe::ExecType::PartialFill, 40, 990_000, 40);
    op.wait_parent(day.parent_order_id, "partly filled", |p| p.cum_qty == 40);
    drop(op);
    let (status, _, _) = agg.kill();
    assert!(!status.success());

    let (agg, addr) = spawn_aggregator(&config);
    // Restarted on a journal: every gateway is asked to replay its execution stream from
    // the first message (these test gateways send unnumbered messages: nothing applied).
    for g in 1..=3 {
        let got = gw.until(g, "the replay request", |m| {
            m.iter()
                .any(|m| matches!(m, Message::ExecutionReplayRequest(_)))
        });
        let Some(Message::ExecutionReplayRequest(r)) = got
            .iter()
            .find(|m| matches!(m, Message::ExecutionReplayRequest(_)))
        else {
            unreachable!()
        };
        assert_eq!((r.gateway_id.0, r.from_sequence), (g as u16, 1), "{r:?}");
    }
    let op = Operator::connect(&addr);
    let rebuilt = op.wait_parent(day.parent_order_id, "rebuilt", |_| true);
    assert_eq!(rebuilt.state, proto::ParentState::PartiallyFilled as i32);
    assert_eq!((rebuilt.cum_qty, rebuilt.leaves_qty), (40, 60));
    assert_eq!(rebuilt.client_order_id, "post-r");
    assert_eq!(rebuilt.children.len(), 1);
    assert_eq!(
        (
            rebuilt.children[0].child_order_id,
            rebuilt.children[0].cum_qty
        ),
        (rc.order_id.0, 40)
    );
    let aapl = op
        .positions()
        .positions
        .into_iter()
        .find(|p| p.instrument_symbol == "AAPL")
        .unwrap();
    assert_eq!(aapl.net_qty, 40);
    // The rebuilt child still works: its last fill completes the parent.
    gw.report(&rc, sbe::ExecType::Fill, 60, 990_000, 100);
    op.wait_parent(day.parent_order_id, "filled", |p| {
        p.state == proto::ParentState::Filled as i32
    });
    // Ids continue after the highest journaled one; a reused client order id is refused.
    let dup = op
        .submit(
            submit_request("post-r", 1, 990_000, false, proto::Strategy::Post),
            true,
        )
        .unwrap_err();
    assert_eq!(dup.code(), tonic::Code::AlreadyExists, "{dup:?}");
    let next = op
        .submit(
            submit_request("post-r2", 10, 990_000, false, proto::Strategy::Post),
            true,
        )
        .unwrap();
    assert!(
        next.parent_order_id > rc.order_id.0,
        "{} <= {}",
        next.parent_order_id,
        rc.order_id.0
    );
    let (status, _, stderr) = agg.terminate(DEADLINE);
    assert!(status.success(), "{stderr}");
}

#[test]
fn bad_config_exits_2_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let aeron = crossbar_integration_tests::aeron_dir("agg-bad");
    let text =
        config_toml(&aeron, &dir.path().join("j")).replace("name = \"BX\"", "name = \"b x\"");
    let path = crossbar_integration_tests::write_file(dir.path(), "bad.toml", &text);
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_crossbar-aggregator"));
    let p = crossbar_integration_tests::ChildProcess::spawn(
        "aggregator",
        bin,
        &["--config", path.to_str().unwrap()],
        &[],
    );
    let (status, _, stderr) = p.wait(DEADLINE);
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("CONFIG_INVALID key=venues[1].name"),
        "{stderr}"
    );
    let typo = crossbar_integration_tests::write_file(
        dir.path(),
        "typo.toml",
        "instrumnets = [\"AAPL\"]\n",
    );
    let p = crossbar_integration_tests::ChildProcess::spawn(
        "aggregator",
        bin,
        &["--config", typo.to_str().unwrap()],
        &[],
    );
    let (status, _, stderr) = p.wait(DEADLINE);
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("instrumnets"), "{stderr}");
}

fn aapl_limits(max_order_qty: u32) -> proto::InstrumentLimits {
    proto::InstrumentLimits {
        instrument_symbol: "AAPL".into(),
        max_order_qty,
        max_order_notional: 50_000 * 10_000,
        max_position: 2_000,
        price_collar_bps: 300,
        max_orders_per_second: 25,
        ..proto::InstrumentLimits::default()
    }
}

#[test]
fn limits_set_is_journaled_published_to_every_gateway_and_judges_the_next_parent() {
    let (_dir, mut gw, config) = start("agg-limits");
    let (agg, addr) = spawn_aggregator(&config);
    let op = Operator::connect(&addr);
    op.wait_venues(&["NASDAQ", "BX", "PSX"], proto::SessionState::Connected);
    publish_books(&mut gw, 1);
    std::thread::sleep(Duration::from_millis(200));
    let configured = op.get_limits();
    assert_eq!(configured.version, 1);
    let symbols: Vec<&str> = configured
        .instruments
        .iter()
        .map(|l| l.instrument_symbol.as_str())
        .collect();
    assert_eq!(symbols, ["AAPL", "MSFT"]);
    let msft = configured.instruments[1].clone();
    assert_eq!(
        (
            msft.max_order_qty,
            msft.price_collar_bps,
            msft.max_orders_per_second
        ),
        (10_000, 500, 1_000)
    );

    // Without a token: refused, nothing changes, nothing is sent.
    let request = proto::SetLimitsRequest {
        instruments: vec![aapl_limits(50)],
        expected_version: 1,
        ..proto::SetLimitsRequest::default()
    };
    let err = op.set_limits(request.clone(), false).unwrap_err();
    assert_eq!(err.code(), tonic::Code::Unauthenticated, "{err:?}");
    assert_eq!(op.get_limits(), configured);
    for g in 1..=3 {
        let got = gw.drain(g, Duration::from_millis(200));
        assert!(
            !got.iter().any(|m| matches!(m, Message::RiskLimits(_))),
            "gateway {g} got {got:?}"
        );
    }

    // With a token: version 2 in the reply and in Limits.Get.
    let set = op.set_limits(request.clone(), true).unwrap();
    assert_eq!(set.version, 2);
    // Gross / net / credit were not in the request: they stay as configured.
    let aapl = &configured.instruments[0];
    let expected_aapl = proto::InstrumentLimits {
        max_gross_notional: aapl.max_gross_notional,
        max_net_notional: aapl.max_net_notional,
        credit_notional: aapl.credit_notional,
        ..aapl_limits(50)
    };
    assert!(expected_aapl.credit_notional.is_some());
    assert_eq!(set.instruments, vec![expected_aapl, msft.clone()]);
    assert_eq!(op.get_limits(), set);

    // Every gateway's orders stream (1101..1103) gets the whole table under version 2.
    for g in 1..=3 {
        let got = gw.until(g, "RiskLimits", |m| {
            m.iter().any(|x| matches!(x, Message::RiskLimits(_)))
        });
        let Some(Message::RiskLimits(l)) = got.iter().find(|x| matches!(x, Message::RiskLimits(_)))
        else {
            unreachable!()
        };
        assert_eq!(l.version, 2);
        let entries: Vec<_> = l
            .limits
            .iter()
            .map(|e| {
                (
                    e.instrument_id.0,
                    e.max_order_qty.0,
                    e.max_order_notional,
                    e.max_position,
                    e.price_collar_bps,
                    e.max_orders_per_second,
                )
            })
            .collect();
        assert_eq!(
            entries,
            vec![
                (0, 50, 50_000 * 10_000, 2_000, 300, 25),
                (
                    1,
                    msft.max_order_qty,
                    msft.max_order_notional,
                    msft.max_position,
                    msft.price_collar_bps,
                    msft.max_orders_per_second
                ),
            ]
        );
    }

    // The same expected version again is stale now.
    let stale = op.set_limits(request, true).unwrap_err();
    assert_eq!(stale.code(), tonic::Code::FailedPrecondition, "{stale:?}");
    assert!(
        stale.message().contains("code=VersionMismatch"),
        "{stale:?}"
    );
    assert_eq!(op.get_limits().version, 2);

    // A parent above the new max order qty is refused; one at it is accepted.
    let refused = op
        .submit(
            submit_request("too-big", 51, P100_01, true, proto::Strategy::Sweep),
            true,
        )
        .unwrap_err();
    assert_eq!(
        refused.code(),
        tonic::Code::FailedPrecondition,
        "{refused:?}"
    );
    assert!(
        refused.message().contains("code=MaxOrderQty"),
        "{refused:?}"
    );
    assert!(
        refused.message().contains("ROUTER_RISK_MAX_ORDER_QTY"),
        "{refused:?}"
    );
    op.submit(
        submit_request("at-limit", 50, P100_01, true, proto::Strategy::Sweep),
        true,
    )
    .unwrap();

    // The change is in the journal: a restart comes back with version 2.
    for g in 1..=3 {
        gw.drain(g, Duration::from_millis(100)); // what this run sent
    }
    drop(op);
    let (status, _, _) = agg.kill();
    assert!(!status.success());
    let (agg, addr) = spawn_aggregator(&config);
    let op = Operator::connect(&addr);
    assert_eq!(op.get_limits(), set);
    // Before routing to anyone, the restarted aggregator re-sends every gateway the limits in
    // force (version 2, whole table), then asks for the execution-stream replay.
    let mut requests = Vec::new();
    for g in 1..=3 {
        let got = gw.drain(g, Duration::from_millis(500));
        // Unanswered, the replay request is repeated every venue timeout: the first two.
        let kinds: Vec<&str> = got.iter().take(2).map(|m| m.kind().name()).collect();
        assert_eq!(
            kinds,
            ["RiskLimits", "ExecutionReplayRequest"],
            "gateway {g}: {got:?}"
        );
        let Message::RiskLimits(l) = &got[0] else {
            unreachable!()
        };
        assert_eq!((l.version, l.limits.len()), (2, 2), "{l:?}");
        assert_eq!(l.limits[0].max_order_qty.0, 50, "{l:?}");
        let Some(Message::ExecutionReplayRequest(r)) = got
            .iter()
            .rev()
            .find(|m| matches!(m, Message::ExecutionReplayRequest(_)))
        else {
            unreachable!()
        };
        requests.push(*r);
    }
    // Each gateway answers (nothing numbered to replay): resynced, it gets its whole slice of
    // every instrument as an absolute CreditSlice through its last applied message (0 here),
    // continuing its grant sequence.
    // (A request left unanswered is repeated each venue timeout: answer the newest.)
    for (g, r) in (1..=3).zip(requests) {
        let complete = |r: &sbe::ExecutionReplayRequest| {
            Message::ExecutionReplayComplete(sbe::ExecutionReplayComplete {
                gateway_id: r.gateway_id,
                request_id: r.request_id,
                from_sequence: r.from_sequence,
                last_sequence: 0,
                replayed: 0,
                timestamp_ns: now_ns(),
            })
        };
        gw.send_execution(&complete(&r));
        let deadline = std::time::Instant::now() + DEADLINE;
        let mut slices = Vec::new();
        while slices.len() < 2 {
            assert!(
                std::time::Instant::now() < deadline,
                "gateway {g}: {slices:?}"
            );
            for m in gw.drain(g, Duration::from_millis(100)) {
                match m {
                    Message::CreditSlice(c) => slices.push(c),
                    Message::ExecutionReplayRequest(again) => gw.send_execution(&complete(&again)),
                    _ => {}
                }
            }
        }
        for (c, instrument) in slices.iter().zip([0u32, 1]) {
            assert_eq!(
                (c.gateway_id.0, c.instrument_id.0, c.through_stream_sequence),
                (g as u16, instrument, 0),
                "{c:?}"
            );
            assert!(c.grant_sequence >= 2, "continues after the grants: {c:?}");
        }
        // AAPL: start-up grant of a third of the buy room, less what gateway g's child
        // (sent before the restart, unfilled) does not consume: the slice is what was granted.
        assert!(
            slices[0].buy_qty > 0 && slices[0].notional > 0,
            "{slices:?}"
        );
    }
    let (status, lines, stderr) = agg.terminate(DEADLINE);
    assert!(status.success(), "{stderr}");
    let counters = lines
        .iter()
        .find(|l| l.starts_with("AGGREGATOR_COUNTERS"))
        .expect("counters");
    assert!(counters.contains("agg.journal_failed=0"), "{counters}");
}

#[test]
fn an_ioc_parent_without_credit_is_canceled_with_no_child_and_reason_no_credit() {
    let (_dir, mut gw, config) = start("agg-nocredit");
    let (agg, addr) = spawn_aggregator(&config);
    let op = Operator::connect(&addr);
    op.wait_venues(&["NASDAQ", "BX", "PSX"], proto::SessionState::Connected);
    // MSFT (instrument 1) offered on every venue within the limit.
    for v in 1..=3 {
        gw.top(1, v, 1, (999_000, 100), (P100_00, 300));
    }
    std::thread::sleep(Duration::from_millis(200));
    for g in 1..=3 {
        gw.drain(g, Duration::from_millis(100)); // start-up credit
    }
    let mut request = submit_request("msft-ioc", 100, P100_00, true, proto::Strategy::Sweep);
    request.instrument_symbol = "MSFT".into();
    let parent = op.submit(request, true).unwrap();
    let done = op.wait_parent(parent.parent_order_id, "canceled", |p| {
        p.state == proto::ParentState::Canceled as i32
    });
    assert_eq!(
        done.cancel_reason,
        proto::CancelReason::NoCredit as i32,
        "{done:?}"
    );
    assert!(done.children.is_empty(), "{done:?}");
    assert_eq!((done.cum_qty, done.leaves_qty), (0, 0));
    for g in 1..=3 {
        let got = gw.drain(g, Duration::from_millis(200));
        assert!(children(&got).is_empty(), "gateway {g} got {got:?}");
    }
    // With credit (AAPL), an IOC that finds nothing within its limit says so instead.
    publish_books(&mut gw, 2);
    std::thread::sleep(Duration::from_millis(100));
    let low = op
        .submit(
            submit_request("aapl-low", 100, 990_000, true, proto::Strategy::Sweep),
            true,
        )
        .unwrap();
    let done = op.wait_parent(low.parent_order_id, "canceled", |p| {
        p.state == proto::ParentState::Canceled as i32
    });
    assert_eq!(
        done.cancel_reason,
        proto::CancelReason::NoLiquidity as i32,
        "{done:?}"
    );
    // The reason is journaled: a restart shows it again.
    let (status, _, _) = agg.kill();
    assert!(!status.success());
    let (agg, addr) = spawn_aggregator(&config);
    let op = Operator::connect(&addr);
    let again = op.wait_parent(parent.parent_order_id, "rebuilt", |_| true);
    assert_eq!(
        again.cancel_reason,
        proto::CancelReason::NoCredit as i32,
        "{again:?}"
    );
    let (status, _, stderr) = agg.terminate(DEADLINE);
    assert!(status.success(), "{stderr}");
}

/// Limits.Set of the centre's own limits through the real binary: a raised credit budget is
/// granted to every gateway at once, a lowered gross exposure limit refuses the next parent
/// naming it, the totals are set, and all of it (journaled as LimitsState) survives SIGKILL.
#[test]
fn limits_set_of_gross_net_credit_and_totals_grants_refuses_and_survives_a_restart() {
    let (_dir, mut gw, config) = start("agg-limits-credit");
    let (agg, addr) = spawn_aggregator(&config);
    let op = Operator::connect(&addr);
    op.wait_venues(&["NASDAQ", "BX", "PSX"], proto::SessionState::Connected);
    publish_books(&mut gw, 1);
    std::thread::sleep(Duration::from_millis(200));
    for g in 1..=3 {
        gw.drain(g, Duration::from_millis(100)); // start-up credit
    }
    let configured = op.get_limits();
    let (aapl, msft) = (&configured.instruments[0], &configured.instruments[1]);
    assert_eq!(msft.credit_notional, Some(1), "MSFT's configured budget");
    assert!(configured.max_gross_notional_total > 0);

    // MSFT's budget raised to $3M + 1 tick: room 3e10 + 1, each gateway's slice tops up to
    // a third (1e10); AAPL's gross exposure limit lowered to 1 tick; both totals replaced.
    let raised = 3_000_000 * 10_000 + 1;
    let request = proto::SetLimitsRequest {
        instruments: vec![
            proto::InstrumentLimits {
                max_gross_notional: Some(1),
                ..aapl.clone()
            },
            proto::InstrumentLimits {
                credit_notional: Some(raised),
                ..msft.clone()
            },
        ],
        expected_version: 1,
        max_gross_notional_total: Some(7_000_000 * 10_000),
        max_net_notional_total: Some(6_000_000 * 10_000),
    };
    let set = op.set_limits(request, true).unwrap();
    assert_eq!(set.version, 2);
    assert_eq!(set.instruments[0].max_gross_notional, Some(1));
    assert_eq!(set.instruments[1].credit_notional, Some(raised));
    assert_eq!(
        (set.max_gross_notional_total, set.max_net_notional_total),
        (7_000_000 * 10_000, 6_000_000 * 10_000)
    );
    assert_eq!(op.get_limits(), set);
    for g in 1..=3 {
        let deadline = std::time::Instant::now() + DEADLINE;
        let grant = loop {
            let got = gw.drain(g, Duration::from_millis(100));
            if let Some(grant) = got.iter().find_map(|x| match x {
                Message::CreditGrant(c) if c.instrument_id.0 == 1 => Some(*c),
                _ => None,
            }) {
                break grant;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "gateway {g}: no MSFT grant"
            );
        };
        assert_eq!(
            (
                grant.gateway_id.0,
                grant.buy_qty,
                grant.sell_qty,
                grant.notional
            ),
            (g as u16, 0, 0, 1_000_000 * 10_000),
            "{grant:?}"
        );
    }

    // An AAPL parent (which the configured gross limit allowed) is refused now.
    let refused = op
        .submit(
            submit_request("gross", 10, P100_01, true, proto::Strategy::Sweep),
            true,
        )
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::FailedPrecondition);
    assert!(
        refused.message().contains("ROUTER_RISK_GROSS_EXPOSURE"),
        "{refused:?}"
    );

    // SIGKILL and restart: the journal's LimitsState restores every field and the totals.
    drop(op);
    let (status, _, _) = agg.kill();
    assert!(!status.success());
    let (agg, addr) = spawn_aggregator(&config);
    let op = Operator::connect(&addr);
    assert_eq!(op.get_limits(), set);
    let (status, lines, stderr) = agg.terminate(DEADLINE);
    assert!(status.success(), "{stderr}");
    let counters = lines
        .iter()
        .find(|l| l.starts_with("AGGREGATOR_COUNTERS"))
        .expect("counters");
    assert!(counters.contains("agg.journal_failed=0"), "{counters}");
}

/// Issue 4, read-your-writes: with a snapshot interval of a minute, every read right after a
/// Submit, Cancel, Limits.Set or KillSwitch reply (new RPC, same connection) shows its effect,
/// and the parent-update stream gets the new parent without waiting for the interval. Before
/// the router thread published on every command, Orders.Get here was NOT_FOUND for up to a
/// minute.
#[test]
fn every_read_after_a_reply_sees_its_effect_without_waiting_for_the_snapshot_interval() {
    use proto::kill_switch_client::KillSwitchClient;
    use proto::orders_client::OrdersClient;

    let dir = tempfile::tempdir().unwrap();
    let mut gw = Gateways::start("agg-ryw");
    let toml = config_toml(&gw.aeron, &dir.path().join("journal"))
        .replace("snapshot_interval_ms = 20", "snapshot_interval_ms = 60000");
    assert!(toml.contains("snapshot_interval_ms = 60000"));
    let config = crossbar_integration_tests::write_file(dir.path(), "aggregator.toml", &toml);
    let (agg, addr) = spawn_aggregator(&config);
    let op = Operator::connect(&addr);
    for g in 1..=3 {
        gw.until(g, "start-up credit", |_| true);
    }
    publish_books(&mut gw, 1);
    std::thread::sleep(Duration::from_millis(100));

    let mut orders = OrdersClient::new(op.channel.clone());
    let mut updates = op
        .rt
        .block_on(orders.stream_updates(proto::StreamParentUpdatesRequest::default()))
        .unwrap()
        .into_inner();
    for i in 0..40u32 {
        let placed = op
            .submit(
                submit_request(
                    &format!("ryw-{i}"),
                    10,
                    990_000 + i64::from(i),
                    false,
                    proto::Strategy::Post,
                ),
                true,
            )
            .unwrap();
        let id = placed.parent_order_id;
        let got = op
            .rt
            .block_on(orders.get(proto::GetParentRequest {
                parent_order_id: id,
            }))
            .unwrap_or_else(|e| panic!("Get right after Submit #{i} of parent {id}: {e:?}"))
            .into_inner();
        assert_eq!(
            (got.client_order_id.as_str(), got.state, got.qty),
            (placed.client_order_id.as_str(), placed.state, 10),
            "#{i}"
        );
        let newest = op
            .rt
            .block_on(orders.list(proto::ListParentsRequest {
                active_only: true,
                limit: 1,
            }))
            .unwrap()
            .into_inner();
        assert_eq!(newest.orders[0].parent_order_id, id, "#{i}");
        assert!(newest.sequence >= got.update_sequence, "#{i}");
        // The stream announces it (long before the one-minute interval).
        let announced = op.rt.block_on(async {
            tokio::time::timeout(DEADLINE, async {
                while let Some(u) = updates.message().await.unwrap() {
                    if u.order.as_ref().is_some_and(|o| o.parent_order_id == id) {
                        return u;
                    }
                }
                panic!("update stream ended");
            })
            .await
            .unwrap_or_else(|_| panic!("no update for parent {id}"))
        });
        assert!(
            !announced.snapshot && announced.sequence > 0,
            "{announced:?}"
        );

        let canceled = op
            .rt
            .block_on(orders.cancel(Operator::authed(proto::CancelParentRequest {
                parent_order_id: id,
            })))
            .unwrap()
            .into_inner();
        assert!(
            [
                proto::ParentState::PendingCancel as i32,
                proto::ParentState::Canceled as i32
            ]
            .contains(&canceled.state),
            "{canceled:?}"
        );
        let after = op.get(id);
        assert_eq!(after.state, canceled.state, "Get right after Cancel #{i}");
        assert_eq!(after.children.len(), canceled.children.len(), "#{i}");

        let set = op
            .set_limits(
                proto::SetLimitsRequest {
                    instruments: vec![aapl_limits(1_000 + i)],
                    ..Default::default()
                },
                true,
            )
            .unwrap();
        let limits = op.get_limits();
        assert_eq!(
            limits.version, set.version,
            "Limits.Get right after Set #{i}"
        );
        let aapl = limits
            .instruments
            .iter()
            .find(|l| l.instrument_symbol == "AAPL")
            .unwrap();
        assert_eq!(aapl.max_order_qty, 1_000 + i);
    }

    let mut kill = KillSwitchClient::new(op.channel.clone());
    for _ in 0..5 {
        let on = op.kill(true);
        assert_eq!(on.active.len(), 1);
        let status = op
            .rt
            .block_on(kill.status(proto::KillSwitchStatusRequest {}))
            .unwrap()
            .into_inner();
        assert_eq!(status, on, "Status right after Activate");
        assert!(
            op.venues().venues.iter().all(|v| v.kill_switch_active),
            "Venues right after Activate"
        );
        let off = op.kill(false);
        assert!(off.active.is_empty());
        let status = op
            .rt
            .block_on(kill.status(proto::KillSwitchStatusRequest {}))
            .unwrap()
            .into_inner();
        assert!(status.active.is_empty(), "Status right after Deactivate");
        assert!(op.venues().venues.iter().all(|v| !v.kill_switch_active));
    }
    drop(agg);
}
