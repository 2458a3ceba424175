//! Throughput benchmark of `replicate-typed` (run it with `cargo xtask bench`).
//!
//! Against one loopback fake server ([`server`]), in one run, it measures `predictions().get`
//! requests per second of this crate's client and of the raw-reqwest floor ([`measure`]),
//! sequential and 64 concurrent, of the official Python and JS clients ([`official`]), and the
//! event-stream throughput of `stream_events`; configurations are interleaved over rounds and
//! the medians compared against targets ([`report`]). A faults section ([`faults`], alone with
//! `--faults-only`) then reports how the runtime copes with a throttled batch, one very large
//! event and a webhook signature header stuffed with forgeries.

pub mod faults;
pub mod measure;
pub mod official;
pub mod report;
pub mod server;

#[cfg(test)]
mod tests {
    use super::*;
    use replicate_typed::types::PredictionResponse;
    use std::time::Duration;

    const LIMIT: Duration = Duration::from_secs(60);

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn the_fixture_is_a_realistic_prediction() {
        let body = server::prediction_json();
        assert!(
            (900..=1300).contains(&body.len()),
            "fixture is {} bytes",
            body.len()
        );
        let prediction: PredictionResponse = serde_json::from_slice(&body).unwrap();
        measure::check(&prediction).unwrap();
        assert_eq!(prediction.output.as_array().map(Vec::len), Some(2));
        assert!(prediction.urls.stream.is_some());
        assert!(prediction.metrics.is_some());
    }

    #[test]
    fn rust_measurements_check_every_response() {
        let server = server::ServerThread::start(1).unwrap();
        let origin = server.origin();
        runtime().block_on(async {
            let client = measure::our_client(&origin, server::TOKEN);
            let http = replicate_typed::tls::reqwest_builder(&[])
                .unwrap()
                .build()
                .unwrap();
            for concurrency in [1, 8] {
                let ours = measure::ours(&client, 20, concurrency, LIMIT).await;
                assert_eq!((ours.calls, ours.errors), (20, 0), "{ours:?}");
                assert!(!ours.truncated && ours.seconds > 0.0 && ours.rps() > 0.0);
                let raw = measure::raw(&http, &origin, server::TOKEN, 20, concurrency, LIMIT).await;
                assert_eq!((raw.calls, raw.errors), (20, 0), "{raw:?}");
            }
            let sse = measure::sse(&client, &origin, 500, LIMIT).await;
            assert_eq!((sse.events, sse.errors), (500, 0), "{sse:?}");
            assert_eq!(sse.bytes, server::sse_body(500).len() as u64);
        });
    }

    #[test]
    fn failed_requests_are_counted_not_timed() {
        let server = server::ServerThread::start(1).unwrap();
        let origin = server.origin();
        runtime().block_on(async {
            // The server rejects any other token: every call must count as an error.
            let client = measure::our_client(&origin, "r8_wrong");
            let ours = measure::ours(&client, 10, 4, LIMIT).await;
            assert_eq!(ours.errors, 10 + 4, "{ours:?}");
            assert!(ours.first_error.unwrap().contains("401"));
            let http = replicate_typed::tls::reqwest_builder(&[])
                .unwrap()
                .build()
                .unwrap();
            let raw = measure::raw(&http, &origin, "r8_wrong", 10, 1, LIMIT).await;
            assert_eq!(raw.errors, 10 + 1, "{raw:?}");
            let sse = measure::sse(&client, &origin, 10, LIMIT).await;
            assert_eq!(sse.errors, 1, "{sse:?}");
        });
    }

    #[test]
    fn faults_measurements_check_what_they_time() {
        let server = server::ServerThread::start(1).unwrap();
        let origin = server.origin();
        runtime().block_on(async {
            let batch = faults::throttled_batch(&origin, faults::batch_policy(), 50, LIMIT)
                .await
                .unwrap();
            assert_eq!((batch.ok, batch.failed), (50, 0), "{batch:?}");
            assert!(batch.requests > 50, "{batch:?}");
            let none = replicate_typed::RetryPolicy::none();
            let batch = faults::throttled_batch(&origin, none, 50, LIMIT)
                .await
                .unwrap();
            assert_eq!(batch.requests, 50, "{batch:?}");
            assert!(batch.failed > 0 && batch.first_error.unwrap().contains("429"));
            let client = measure::our_client(&origin, server::TOKEN);
            assert!(
                faults::big_event(&client, &origin, 100_000, LIMIT)
                    .await
                    .unwrap()
                    > 0.0
            );
            let wrong = measure::our_client(&origin, "r8_wrong");
            assert!(faults::big_event(&wrong, &origin, 10, LIMIT).await.is_err());
        });
        let (forged, valid) = faults::webhook_verify(20, 1000, 1).unwrap();
        assert!(forged > 0.0 && valid > 0.0);
    }

    #[test]
    fn drivers_results_parse() {
        let sample = official::parse_result(
            "noise\n{\"calls\": 300, \"seconds\": 0.5, \"errors\": 0, \"first_error\": null, \"truncated\": false}\n",
        )
        .unwrap();
        assert_eq!((sample.calls, sample.errors), (300, 0));
        assert_eq!(sample.rps(), 600.0);
        assert!(official::parse_result("Traceback ...").is_err());
    }

    #[test]
    fn medians_and_targets() {
        assert_eq!(report::median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(report::median(&[4.0, 1.0]), 2.5);
        assert_eq!(report::median(&[]), 0.0);
        assert!(report::Target::AtMost(1.05).met(1.05));
        assert!(!report::Target::AtMost(1.05).met(1.06));
        assert!(report::Target::AtLeast(10.0).met(12.0));
        let fast = report::Row {
            samples: vec![measure::Sample {
                calls: 100,
                seconds: 1.0,
                ..Default::default()
            }],
            ..report::Row::new("fast", 100)
        };
        let slow = report::Row::skipped("slow", 100, "python3 not found");
        let line = report::ratio_line("x", &fast, &slow, report::Target::AtLeast(10.0));
        assert!(line.contains("skipped: python3 not found"), "{line}");
        let line = report::ratio_line("x", &fast, &fast, report::Target::AtMost(1.05));
        assert!(line.contains("1.000x") && line.ends_with("met"), "{line}");
    }
}
