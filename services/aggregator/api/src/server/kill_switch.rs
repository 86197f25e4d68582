//! KillSwitch: Activate, Deactivate (mutating), Status.

use tonic::{Request, Response, Status};

use super::Api;
use crate::auth::Access;
use crate::backend::Backend;
use crate::proto::kill_switch_server::KillSwitch;
use crate::proto::{
    ActivateKillSwitchRequest, DeactivateKillSwitchRequest, KillSwitchStatus,
    KillSwitchStatusRequest,
};
use crate::validate;

#[tonic::async_trait]
impl<B: Backend> KillSwitch for Api<B> {
    async fn activate(
        &self,
        request: Request<ActivateKillSwitchRequest>,
    ) -> Result<Response<KillSwitchStatus>, Status> {
        self.admit(&request, Access::Mutate)?;
        let valid = validate::activate(request.into_inner()).map_err(|e| self.invalid(e))?;
        let scope = format!(
            "scope={} venue={} instrument_symbol={} allow_risk_reducing={}",
            valid.scope().as_str_name(),
            valid.venue,
            valid.instrument_symbol,
            valid.allow_risk_reducing
        );
        let status = self
            .backend
            .activate_kill_switch(valid)
            .await
            .map_err(|e| self.backend_failed(e))?;
        tracing::warn!("API_KILL_SWITCH_ON {scope}");
        Ok(Response::new(status))
    }

    async fn deactivate(
        &self,
        request: Request<DeactivateKillSwitchRequest>,
    ) -> Result<Response<KillSwitchStatus>, Status> {
        self.admit(&request, Access::Mutate)?;
        let valid = validate::deactivate(request.into_inner()).map_err(|e| self.invalid(e))?;
        let scope = format!(
            "scope={} venue={} instrument_symbol={}",
            valid.scope().as_str_name(),
            valid.venue,
            valid.instrument_symbol
        );
        let status = self
            .backend
            .deactivate_kill_switch(valid)
            .await
            .map_err(|e| self.backend_failed(e))?;
        tracing::warn!("API_KILL_SWITCH_OFF {scope}");
        Ok(Response::new(status))
    }

    async fn status(
        &self,
        request: Request<KillSwitchStatusRequest>,
    ) -> Result<Response<KillSwitchStatus>, Status> {
        self.admit(&request, Access::Read)?;
        let status = self
            .backend
            .kill_switch_status()
            .await
            .map_err(|e| self.backend_failed(e))?;
        Ok(Response::new(status))
    }
}
