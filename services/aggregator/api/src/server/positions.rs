//! Positions: Get, Stream.

use tonic::{Request, Response, Status};

use super::stream::{self, StreamPlan, UpdateStream};
use super::Api;
use crate::auth::Access;
use crate::backend::Backend;
use crate::proto::positions_server::Positions;
use crate::proto::{
    GetPositionsRequest, PositionUpdate, PositionsSnapshot, StreamPositionsRequest,
};
use crate::validate;

#[tonic::async_trait]
impl<B: Backend> Positions for Api<B> {
    async fn get(
        &self,
        request: Request<GetPositionsRequest>,
    ) -> Result<Response<PositionsSnapshot>, Status> {
        self.admit(&request, Access::Read)?;
        let valid = validate::get_positions(request.into_inner()).map_err(|e| self.invalid(e))?;
        let snapshot = self
            .backend
            .positions(valid)
            .await
            .map_err(|e| self.backend_failed(e))?;
        Ok(Response::new(snapshot))
    }

    type StreamStream = UpdateStream<PositionUpdate>;

    /// Subscribes first, then takes the snapshot; live updates the snapshot already reflects
    /// (sequence <= the snapshot's) are dropped.
    async fn stream(
        &self,
        request: Request<StreamPositionsRequest>,
    ) -> Result<Response<Self::StreamStream>, Status> {
        self.admit(&request, Access::Read)?;
        let valid =
            validate::stream_positions(request.into_inner()).map_err(|e| self.invalid(e))?;
        let symbol = valid.into_inner().instrument_symbol;
        let live = self
            .backend
            .subscribe_positions()
            .map_err(|e| self.backend_failed(e))?;
        let get = validate::get_positions(GetPositionsRequest {
            instrument_symbol: symbol.clone(),
        })
        .map_err(|e| self.invalid(e))?;
        let snapshot = self
            .backend
            .positions(get)
            .await
            .map_err(|e| self.backend_failed(e))?;
        let sequence = snapshot.sequence;
        let items = snapshot
            .positions
            .into_iter()
            .map(|position| PositionUpdate {
                sequence,
                snapshot: true,
                position: Some(position),
            })
            .collect();
        let keep = move |u: &PositionUpdate| {
            u.sequence > sequence
                && (symbol.is_empty()
                    || u.position
                        .as_ref()
                        .is_some_and(|p| p.instrument_symbol == symbol))
        };
        let plan = StreamPlan {
            snapshot: items,
            live,
            keep,
        };
        Ok(Response::new(stream::start(
            plan,
            self.stream_buffer,
            self.shutdown.clone(),
            &self.counters,
        )))
    }
}
