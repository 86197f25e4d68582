//! Limits: Get, Set (mutating).

use tonic::{Request, Response, Status};

use super::Api;
use crate::auth::Access;
use crate::backend::Backend;
use crate::proto::limits_server::Limits;
use crate::proto::{GetLimitsRequest, LimitsSnapshot, SetLimitsRequest};
use crate::validate;

#[tonic::async_trait]
impl<B: Backend> Limits for Api<B> {
    async fn get(
        &self,
        request: Request<GetLimitsRequest>,
    ) -> Result<Response<LimitsSnapshot>, Status> {
        self.admit(&request, Access::Read)?;
        let valid = validate::get_limits(request.into_inner()).map_err(|e| self.invalid(e))?;
        let limits = self
            .backend
            .get_limits(valid)
            .await
            .map_err(|e| self.backend_failed(e))?;
        Ok(Response::new(limits))
    }

    async fn set(
        &self,
        request: Request<SetLimitsRequest>,
    ) -> Result<Response<LimitsSnapshot>, Status> {
        self.admit(&request, Access::Mutate)?;
        let valid = validate::set_limits(request.into_inner()).map_err(|e| self.invalid(e))?;
        let entries = valid.instruments.len();
        let limits = self
            .backend
            .set_limits(valid)
            .await
            .map_err(|e| self.backend_failed(e))?;
        tracing::info!(
            "API_LIMITS_SET entries={entries} version={}",
            limits.version
        );
        Ok(Response::new(limits))
    }
}
