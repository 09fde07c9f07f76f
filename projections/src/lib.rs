//! The projector runtime and SKP's read models. The runtime and the models come with the
//! projections issue; the crate exists so that the layout of DESIGN.md holds from the start.
