//! The live dashboard page (`GET /dashboard`): plain HTML, CSS and JavaScript with Chart.js
//! 4 (MIT, vendored unchanged under `assets/dashboard/vendor/`), all compiled into the binary
//! so that nothing is fetched from the network at run time. The page itself needs no token;
//! every figure on it comes from the token-protected read API, with the token the user gives.

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

const INDEX: &str = include_str!("../../assets/dashboard/index.html");
const CSS: &str = include_str!("../../assets/dashboard/dashboard.css");
const JS: &str = include_str!("../../assets/dashboard/dashboard.js");
const VOICES_JS: &str = include_str!("../../assets/dashboard/voices.js");
const PERIODS_JS: &str = include_str!("../../assets/dashboard/periods.js");
const CHART_JS: &str = include_str!("../../assets/dashboard/vendor/chart.umd.min.js");
// Development plans and pembinaan (issue 14).
const PEMBINAAN_JS: &str = include_str!("../../assets/dashboard/pembinaan.js");

/// Scripts, styles and connections from this origin only; no inline script, no frames.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

fn asset(body: &'static str, content_type: &'static str, cache: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    response
}

/// The page.
pub async fn page() -> Response {
    asset(INDEX, "text/html; charset=utf-8", "no-cache")
}

/// Its stylesheet.
pub async fn stylesheet() -> Response {
    asset(CSS, "text/css; charset=utf-8", "no-cache")
}

/// Its script.
pub async fn script() -> Response {
    asset(JS, "text/javascript; charset=utf-8", "no-cache")
}

/// The voices beyond the rater's script (issue 13): the 360 view in the drill-down and the
/// per-unit dialogue and survey counts.
pub async fn voices_script() -> Response {
    asset(VOICES_JS, "text/javascript; charset=utf-8", "no-cache")
}

/// The period view's script (issue 12).
pub async fn periods_script() -> Response {
    asset(PERIODS_JS, "text/javascript; charset=utf-8", "no-cache")
}

/// Chart.js, which changes only with SKP's version.
pub async fn chart_js() -> Response {
    asset(CHART_JS, "text/javascript; charset=utf-8", "public, max-age=86400")
}

/// The pembinaan part of the page (issue 14): per unit, and the plan in the drill-down.
pub async fn pembinaan_script() -> Response {
    asset(PEMBINAAN_JS, "text/javascript; charset=utf-8", "no-cache")
}
