//! What the route annotations cannot say, added to the OpenAPI document once for every
//! route (so routes added later get it by construction):
//!
//! - every error answer (`4xx`, `5xx`) is `application/problem+json` with the `Problem`
//!   schema, and each operation lists the errors it can give: 400 (a malformed body or
//!   query), 401, 403, 404, 422 and 503 everywhere; 409 and 413 on commands; 504 where
//!   `min_sequence` is taken;
//! - commands take the `Idempotency-Key` and `X-Correlation-Id` headers (UUIDs);
//! - links from a command's answer to the routes that use its id: an opening's
//!   `aggregate_id` to the routes of what it opened ([`OPENINGS`]), any other command's to
//!   the routes under the same path parameter; a target that waits for `min_sequence` gets
//!   the answer's `stream_sequence`, so a client following the link reads its write.

use serde_json::{json, Map, Value};

/// The commands that open an aggregate (201), and where the routes of the opened aggregate
/// live: their paths start with this prefix, its first parameter being the new id.
pub const OPENINGS: &[(&str, &str)] = &[
    ("open_cycle", "/v1/cycles/{"),
    ("open_appraisal", "/v1/appraisals/{"),
    // Development plans and pembinaan (issue 14).
    ("open_plan", "/v1/development/{"),
];

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// The characters free text may not hold (`skp_domain::text`): control characters other
/// than tab and line breaks, and invisible characters that change how a text reads.
const FORBIDDEN: &str = "\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f\\u061c\\u200b-\\u200f\\u202a-\\u202e\\u2060-\\u2069\\ufeff";

/// Free text as the rules take it, for string schemas marked with a `format`:
/// `skp-text` (required: not blank, at most 10,000 characters), `skp-optional-text` (may be
/// empty), `skp-id` (a plan's id: 1 to 64 characters, not blank).
fn text_rule(format: &str) -> Option<Value> {
    let allowed = format!("[^{FORBIDDEN}]");
    let visible = format!("[^\\s{FORBIDDEN}]");
    match format {
        "skp-text" => Some(json!({"minLength": 1, "maxLength": skp_domain::text::MAX_TEXT_CHARS, "pattern": format!("^{allowed}*{visible}{allowed}*$")})),
        "skp-optional-text" => Some(json!({"maxLength": skp_domain::text::MAX_TEXT_CHARS, "pattern": format!("^{allowed}*$")})),
        "skp-id" => Some(json!({"minLength": 1, "maxLength": 64, "pattern": format!("^{allowed}*{visible}{allowed}*$")})),
        _ => None,
    }
}

/// Replaces each free-text marker (see [`text_rule`]) anywhere in `value` by its rule.
fn text_rules(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(rule) = map.get("format").and_then(Value::as_str).and_then(text_rule) {
                map.remove("format");
                map.extend(rule.as_object().cloned().unwrap_or_default());
            }
            map.values_mut().for_each(text_rules);
        }
        Value::Array(items) => items.iter_mut().for_each(text_rules),
        _ => {}
    }
}

/// Applies every addition to the document `doc` (as JSON).
pub fn complete(doc: &mut Value) {
    text_rules(doc);
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else { return };
    let index = operations(paths);
    for (path, item) in paths.iter_mut() {
        for method in METHODS {
            let Some(operation) = item.get_mut(method) else { continue };
            errors(operation, method);
            if method == "post" {
                command_headers(operation);
            }
            links(path, method, operation, &index);
        }
    }
}

/// One operation as a link target: its id, path, first path parameter, whether it takes
/// `min_sequence`.
struct Target {
    id: String,
    path: String,
    first_param: Option<String>,
    min_sequence: bool,
}

fn operations(paths: &Map<String, Value>) -> Vec<Target> {
    let mut found = Vec::new();
    for (path, item) in paths {
        for method in METHODS {
            let Some(operation) = item.get(method) else { continue };
            let Some(id) = operation.get("operationId").and_then(Value::as_str) else { continue };
            let params = operation.get("parameters").and_then(Value::as_array).cloned().unwrap_or_default();
            let first_param = path.split('{').nth(1).and_then(|rest| rest.split('}').next()).map(str::to_owned);
            let min_sequence = params.iter().any(|p| p["name"] == "min_sequence");
            found.push(Target { id: id.to_owned(), path: path.clone(), first_param, min_sequence });
        }
    }
    found
}

fn problem() -> Value {
    json!({"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}})
}

fn errors(operation: &mut Value, method: &str) {
    let waits = operation.get("parameters").and_then(Value::as_array).is_some_and(|ps| ps.iter().any(|p| p["name"] == "min_sequence"));
    let Some(responses) = operation.get_mut("responses").and_then(Value::as_object_mut) else { return };
    let mut wanted: Vec<(&str, &str)> = vec![
        ("400", "malformed_body or bad_query: the body, a header or the query is malformed"),
        ("401", "unauthorized: no valid bearer token"),
        ("403", "forbidden: the caller may not do this"),
        ("404", "not_found: unknown aggregate (a malformed id counts as unknown)"),
        ("422", "a value breaks a rule (the code names it)"),
        ("503", "store_unavailable, read_model_unavailable, too_many_streams or request_timeout; with Retry-After"),
    ];
    if method == "post" {
        wanted.push(("409", "invalid_transition, already_exists, objection_window_open or concurrent_modification"));
        wanted.push(("413", "body_too_large: over 256 KiB"));
    }
    if waits {
        wanted.push(("504", "projection_behind: min_sequence not reached in time; as_of_sequence tells how far it got"));
    }
    for (status, description) in wanted {
        responses.entry(status).or_insert_with(|| json!({"description": description}));
    }
    for (status, response) in responses.iter_mut() {
        if status.starts_with('4') || status.starts_with('5') {
            response["content"] = problem();
            if response.get("description").and_then(Value::as_str).is_none_or(str::is_empty) {
                response["description"] = json!("an error, as application/problem+json");
            }
        }
    }
}

fn command_headers(operation: &mut Value) {
    let params = operation.as_object_mut().map(|o| o.entry("parameters").or_insert_with(|| json!([])));
    let Some(params) = params.and_then(Value::as_array_mut) else { return };
    for (name, description) in [
        ("Idempotency-Key", "A UUID: the same key from the same caller for the same command yields the original result and records nothing new; another caller or command with it is 422 idempotency_key_reused"),
        ("X-Correlation-Id", "Becomes the event's correlation_id when it is a UUID; otherwise the request id does"),
    ] {
        if !params.iter().any(|p| p["name"] == name) {
            let schema = if name == "Idempotency-Key" { json!({"type": "string", "format": "uuid"}) } else { json!({"type": "string"}) };
            params.push(json!({"name": name, "in": "header", "required": false, "description": description, "schema": schema}));
        }
    }
}

fn links(path: &str, method: &str, operation: &mut Value, index: &[Target]) {
    if method != "post" {
        return;
    }
    let id = operation.get("operationId").and_then(Value::as_str).unwrap_or_default().to_owned();
    let Some(responses) = operation.get_mut("responses").and_then(Value::as_object_mut) else { return };
    let opening = OPENINGS.iter().find(|(op, _)| *op == id).map(|(_, prefix)| *prefix);
    let (status, prefix) = match opening {
        Some(prefix) => ("201", prefix.to_owned()),
        None => match path.find('}') {
            Some(end) => ("200", path[..end].rsplit_once('{').map(|(head, _)| format!("{head}{{")).unwrap_or_default()),
            None => return,
        },
    };
    let same_param = path.split('{').nth(1).and_then(|r| r.split('}').next()).unwrap_or_default().to_owned();
    let Some(response) = responses.get_mut(status) else { return };
    let mut links = Map::new();
    for target in index.iter().filter(|t| t.path.starts_with(&prefix) && t.id != id) {
        let Some(param) = &target.first_param else { continue };
        // Another command's answer names the aggregate of its own path: only routes under
        // the same parameter take it.
        if opening.is_none() && *param != same_param {
            continue;
        }
        let mut parameters = Map::new();
        parameters.insert(param.clone(), json!("$response.body#/aggregate_id"));
        if target.min_sequence {
            parameters.insert("min_sequence".into(), json!("$response.body#/stream_sequence"));
        }
        links.insert(target.id.clone(), json!({"operationId": target.id, "parameters": parameters}));
    }
    if !links.is_empty() {
        response["links"] = Value::Object(links);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_opening_links_to_the_routes_of_what_it_opened_with_min_sequence_where_taken() {
        let mut doc = json!({"paths": {
            "/v1/cycles": {"post": {"operationId": "open_cycle", "responses": {"201": {"description": "ok"}}}},
            "/v1/cycles/{id}/progress": {"get": {"operationId": "get_progress", "parameters": [{"name": "id", "in": "path"}, {"name": "min_sequence", "in": "query"}], "responses": {"200": {"description": "ok"}}}},
            "/v1/appraisals/{id}": {"get": {"operationId": "get_appraisal", "responses": {"200": {"description": "ok"}}}},
            "/v1/appraisals/{id}/plan": {"post": {"operationId": "draft_plan", "responses": {"200": {"description": "ok"}, "403": {}}}},
        }});
        complete(&mut doc);
        let links = &doc["paths"]["/v1/cycles"]["post"]["responses"]["201"]["links"];
        assert_eq!(links["get_progress"]["parameters"], json!({"id": "$response.body#/aggregate_id", "min_sequence": "$response.body#/stream_sequence"}));
        assert!(links.get("get_appraisal").is_none(), "an appraisal route takes no cycle id");
        let draft = &doc["paths"]["/v1/appraisals/{id}/plan"]["post"];
        assert_eq!(draft["responses"]["200"]["links"]["get_appraisal"]["parameters"]["id"], "$response.body#/aggregate_id");
        assert_eq!(draft["responses"]["403"]["content"]["application/problem+json"]["schema"]["$ref"], "#/components/schemas/Problem");
        assert!(draft["responses"].get("413").is_some() && draft["responses"].get("409").is_some());
        assert!(draft["parameters"].as_array().is_some_and(|ps| ps.iter().any(|p| p["name"] == "Idempotency-Key")));
    }
}
