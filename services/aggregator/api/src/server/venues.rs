//! Venues: List.

use tonic::{Request, Response, Status};

use super::Api;
use crate::auth::Access;
use crate::backend::Backend;
use crate::proto::venues_server::Venues;
use crate::proto::{ListVenuesRequest, VenueList};

#[tonic::async_trait]
impl<B: Backend> Venues for Api<B> {
    async fn list(
        &self,
        request: Request<ListVenuesRequest>,
    ) -> Result<Response<VenueList>, Status> {
        self.admit(&request, Access::Read)?;
        let venues = self
            .backend
            .venues()
            .await
            .map_err(|e| self.backend_failed(e))?;
        Ok(Response::new(venues))
    }
}
