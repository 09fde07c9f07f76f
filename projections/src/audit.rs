//! Audit and fairness (see DOMAIN.md): every envelope as stored, and the report recomputed
//! by the domain's audit rules whenever an appraisal changes.
