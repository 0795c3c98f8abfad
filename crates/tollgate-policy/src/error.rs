//! Errors of the policy engine.

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("engine not ready")]
    NotReady,
    #[error(transparent)]
    Scan(#[from] tollgate_core::Error),
}
