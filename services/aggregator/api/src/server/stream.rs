//! Server streams: a snapshot, then live updates from the backend's broadcast, in order.
//!
//! One tokio task per stream copies items into a bounded channel that tonic drains. The task
//! ends (and so does the stream) when the client goes away, when the server shuts down (status
//! OK), when the client has fallen behind the broadcast (DATA_LOSS `API_STREAM_LAGGED`), or
//! when the backend closes its broadcast (UNAVAILABLE `API_BACKEND_STOPPED`).

use std::pin::Pin;

use tokio::sync::{broadcast, mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::Stream;
use tonic::Status;

use super::counters::ApiCounters;
use crate::backend::BackendError;
use crate::status;

/// The stream type every streaming RPC returns.
pub(crate) type UpdateStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// What a stream sends and how it filters the live part.
pub(crate) struct StreamPlan<T, F> {
    /// Sent first, in order.
    pub snapshot: Vec<T>,
    /// Subscribed before the snapshot was taken.
    pub live: broadcast::Receiver<T>,
    /// Which live items to send (drops those the snapshot covers and those filtered out).
    pub keep: F,
}

/// Starts the copying task and returns the stream tonic serves.
pub(crate) fn start<T, F>(
    plan: StreamPlan<T, F>,
    buffer: usize,
    shutdown: watch::Receiver<bool>,
    counters: &ApiCounters,
) -> UpdateStream<T>
where
    T: Clone + Send + 'static,
    F: Fn(&T) -> bool + Send + 'static,
{
    counters.streams_opened.increment();
    let (tx, rx) = mpsc::channel(buffer);
    tokio::spawn(copy(plan, tx, shutdown, counters.clone()));
    Box::pin(ReceiverStream::new(rx))
}

async fn copy<T, F>(
    plan: StreamPlan<T, F>,
    tx: mpsc::Sender<Result<T, Status>>,
    mut shutdown: watch::Receiver<bool>,
    counters: ApiCounters,
) where
    T: Clone + Send + 'static,
    F: Fn(&T) -> bool + Send + 'static,
{
    let StreamPlan {
        snapshot,
        mut live,
        keep,
    } = plan;
    for item in snapshot {
        if !send(&tx, Ok(item), &mut shutdown).await {
            return;
        }
    }
    loop {
        let received = tokio::select! {
            received = live.recv() => received,
            _ = shutdown.wait_for(|stop| *stop) => return,
            _ = tx.closed() => return,
        };
        let item = match received {
            Ok(item) if keep(&item) => Ok(item),
            Ok(_) => continue,
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                counters.streams_lagged.increment();
                Err(status::lagged(missed))
            }
            Err(broadcast::error::RecvError::Closed) => {
                Err(status::from_backend(BackendError::Stopped {
                    reason: "update channel closed".to_owned(),
                }))
            }
        };
        let last = item.is_err();
        if !send(&tx, item, &mut shutdown).await || last {
            return;
        }
    }
}

/// Sends one item unless the client left or the server is stopping; false means stop.
async fn send<T>(
    tx: &mpsc::Sender<Result<T, Status>>,
    item: Result<T, Status>,
    shutdown: &mut watch::Receiver<bool>,
) -> bool {
    tokio::select! {
        sent = tx.send(item) => sent.is_ok(),
        _ = shutdown.wait_for(|stop| *stop) => false,
    }
}
