//! Deterministic ids. An appraisal's id is UUID v5 of its cycle and employee, so that a
//! second opening for the same employee in the same cycle lands on the same subject and the
//! event store itself refuses it. A development plan's id is UUID v5 of its appraisal's, for
//! the same reason: one plan per final appraisal.

use crate::values::Nip;
use uuid::Uuid;

/// The UUID v5 namespace of SKP's deterministic ids.
pub const SKP_NAMESPACE: Uuid = Uuid::from_u128(0x5b1c_6f3e_8a2d_4e0f_9c47_2d6a_e1b3_0a55);

/// The id of `employee`'s appraisal in `cycle_id`: UUID v5 of `"<cycle_id>/<nip>"`.
pub fn appraisal_id(cycle_id: Uuid, employee: &Nip) -> Uuid {
    Uuid::new_v5(&SKP_NAMESPACE, format!("{cycle_id}/{employee}").as_bytes())
}

/// The id of the development plan of `appraisal_id`: UUID v5 of `"<appraisal_id>/development"`.
pub fn development_plan_id(appraisal_id: Uuid) -> Uuid {
    Uuid::new_v5(&SKP_NAMESPACE, format!("{appraisal_id}/development").as_bytes())
}
