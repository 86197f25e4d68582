//! Orders: Submit, Cancel (mutating), Get, List, StreamUpdates.

use tonic::{Request, Response, Status};

use super::stream::{self, StreamPlan, UpdateStream};
use super::Api;
use crate::auth::Access;
use crate::backend::Backend;
use crate::proto::orders_server::Orders;
use crate::proto::{
    CancelParentRequest, GetParentRequest, ListParentsRequest, ParentOrder, ParentOrderList,
    ParentOrderUpdate, StreamParentUpdatesRequest, SubmitParentRequest,
};
use crate::validate;

/// Which live order updates a stream sends.
type Keep = Box<dyn Fn(&ParentOrderUpdate) -> bool + Send>;

#[tonic::async_trait]
impl<B: Backend> Orders for Api<B> {
    async fn submit(
        &self,
        request: Request<SubmitParentRequest>,
    ) -> Result<Response<ParentOrder>, Status> {
        self.admit(&request, Access::Mutate)?;
        let valid = validate::submit(request.into_inner()).map_err(|e| self.invalid(e))?;
        let client_order_id = valid.client_order_id.clone();
        let order = self
            .backend
            .submit_parent(valid)
            .await
            .map_err(|e| self.backend_failed(e))?;
        tracing::info!(
            "API_SUBMIT parent_order_id={} client_order_id={client_order_id} state={}",
            order.parent_order_id,
            order.state().as_str_name()
        );
        Ok(Response::new(order))
    }

    async fn cancel(
        &self,
        request: Request<CancelParentRequest>,
    ) -> Result<Response<ParentOrder>, Status> {
        self.admit(&request, Access::Mutate)?;
        let valid = validate::cancel(request.into_inner()).map_err(|e| self.invalid(e))?;
        let order = self
            .backend
            .cancel_parent(valid)
            .await
            .map_err(|e| self.backend_failed(e))?;
        tracing::info!(
            "API_CANCEL parent_order_id={} state={}",
            order.parent_order_id,
            order.state().as_str_name()
        );
        Ok(Response::new(order))
    }

    async fn get(
        &self,
        request: Request<GetParentRequest>,
    ) -> Result<Response<ParentOrder>, Status> {
        self.admit(&request, Access::Read)?;
        let valid = validate::get_parent(request.into_inner()).map_err(|e| self.invalid(e))?;
        let order = self
            .backend
            .get_parent(valid)
            .await
            .map_err(|e| self.backend_failed(e))?;
        Ok(Response::new(order))
    }

    async fn list(
        &self,
        request: Request<ListParentsRequest>,
    ) -> Result<Response<ParentOrderList>, Status> {
        self.admit(&request, Access::Read)?;
        let valid = validate::list(request.into_inner(), self.list_max);
        let list = self
            .backend
            .list_parents(valid)
            .await
            .map_err(|e| self.backend_failed(e))?;
        Ok(Response::new(list))
    }

    type StreamUpdatesStream = UpdateStream<ParentOrderUpdate>;

    /// Subscribes first, then takes the snapshot: every active order (or the one requested
    /// order, whatever its state), then live updates newer than what the snapshot showed.
    async fn stream_updates(
        &self,
        request: Request<StreamParentUpdatesRequest>,
    ) -> Result<Response<Self::StreamUpdatesStream>, Status> {
        self.admit(&request, Access::Read)?;
        let wanted = validate::stream_parent_updates(request.into_inner()).parent_order_id;
        let live = self
            .backend
            .subscribe_parent_updates()
            .map_err(|e| self.backend_failed(e))?;
        let plan: StreamPlan<ParentOrderUpdate, Keep> = if wanted == 0 {
            let list = validate::list(
                ListParentsRequest {
                    active_only: true,
                    limit: self.list_max,
                },
                self.list_max,
            );
            let list = self
                .backend
                .list_parents(list)
                .await
                .map_err(|e| self.backend_failed(e))?;
            let sequence = list.sequence;
            let snapshot = list
                .orders
                .into_iter()
                .rev() // oldest first, like the live updates that follow
                .map(|order| snapshot_item(sequence, order))
                .collect();
            StreamPlan {
                snapshot,
                live,
                keep: Box::new(move |u: &ParentOrderUpdate| u.sequence > sequence),
            }
        } else {
            let get = validate::get_parent(GetParentRequest {
                parent_order_id: wanted,
            })
            .map_err(|e| self.invalid(e))?;
            let order = self
                .backend
                .get_parent(get)
                .await
                .map_err(|e| self.backend_failed(e))?;
            let seen = order.update_sequence;
            StreamPlan {
                snapshot: vec![snapshot_item(seen, order)],
                live,
                keep: Box::new(move |u: &ParentOrderUpdate| {
                    u.sequence > seen
                        && u.order
                            .as_ref()
                            .is_some_and(|o| o.parent_order_id == wanted)
                }),
            }
        };
        Ok(Response::new(stream::start(
            plan,
            self.stream_buffer,
            self.shutdown.clone(),
            &self.counters,
        )))
    }
}

fn snapshot_item(sequence: u64, order: ParentOrder) -> ParentOrderUpdate {
    ParentOrderUpdate {
        sequence,
        snapshot: true,
        order: Some(order),
    }
}
