//! The whole configuration of an existing stream, checked against what SKP needs of it:
//! nothing that could lose or drop an event (limits, discard old, a retention other than
//! limits, message TTLs, too few replicas, a mirror), nothing beyond its own subjects, a
//! duplicate window long enough for its writer, and the protections (deny delete and purge,
//! no rollup, file storage, direct get where reads need it).
//!
//! The check reads the server's own JSON of the configuration (`$JS.API.STREAM.INFO`), so a
//! setting the client library does not know yet (such as `allow_msg_ttl`) is seen too.

use serde_json::Value;
use std::time::Duration;

/// What SKP needs of one of its streams.
#[derive(Debug, Clone)]
pub struct Requirements {
    /// The one subject wildcard it must capture, and nothing else (`skp.events.>`).
    pub subjects: String,
    /// The replicas configured (`SKP_STREAM_REPLICAS`): fewer is refused.
    pub replicas: usize,
    /// The shortest duplicate window its writer relies on.
    pub min_duplicate_window: Duration,
    /// Whether reads need direct get (the event stream; not the public one).
    pub direct_get: bool,
}

/// Every setting of `config` (the server's JSON) that SKP must not run with, each naming
/// the setting, what it is and what it must be. Empty when the stream is safe.
pub fn problems(config: &Value, wanted: &Requirements) -> Vec<String> {
    let mut found = Vec::new();
    let int = |key: &str| config.get(key).and_then(Value::as_i64).unwrap_or(0);
    let flag = |key: &str| config.get(key).and_then(Value::as_bool).unwrap_or(false);
    let text = |key: &str| config.get(key).and_then(Value::as_str).unwrap_or("").to_owned();
    for (key, what) in [("max_msgs", "messages"), ("max_bytes", "bytes"), ("max_msgs_per_subject", "messages per subject")] {
        if int(key) > 0 {
            found.push(format!("{key} is {} (a limit on {what} drops or refuses events; must be -1, unlimited)", int(key)));
        }
    }
    if int("max_age") > 0 {
        found.push(format!("max_age is {:?} (events older than that would be deleted; must be 0, unlimited)", Duration::from_nanos(int("max_age").unsigned_abs())));
    }
    if text("discard") == "old" {
        found.push("discard is old (the oldest events would be dropped at a limit; must be new)".into());
    }
    let retention = text("retention");
    if !retention.is_empty() && retention != "limits" {
        found.push(format!("retention is {retention} (acknowledged or uninteresting events would be deleted; must be limits)"));
    }
    if flag("allow_msg_ttl") {
        found.push("allow_msg_ttl is on (a message TTL header would delete events; must be off)".into());
    }
    if int("subject_delete_marker_ttl") > 0 {
        found.push("subject_delete_marker_ttl is set (markers imply deleted messages; must be unset)".into());
    }
    let replicas = usize::try_from(int("num_replicas").max(1)).unwrap_or(1);
    if replicas < wanted.replicas {
        found.push(format!("num_replicas is {replicas} (SKP_STREAM_REPLICAS asks for {})", wanted.replicas));
    }
    let subjects: Vec<&str> = config.get("subjects").and_then(Value::as_array).map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
    if subjects != [wanted.subjects.as_str()] {
        found.push(format!("subjects are {subjects:?} (must be exactly [{:?}]: no fewer, and nothing beyond its own)", wanted.subjects));
    }
    let window = Duration::from_nanos(int("duplicate_window").unsigned_abs());
    if window < wanted.min_duplicate_window {
        found.push(format!("duplicate_window is {window:?} (a retried publish must meet the first within {:?}; must be at least that)", wanted.min_duplicate_window));
    }
    if !flag("deny_delete") {
        found.push("deny_delete is off (events could be deleted; must be on)".into());
    }
    if !flag("deny_purge") {
        found.push("deny_purge is off (the stream could be purged; must be on)".into());
    }
    if flag("allow_rollup_hdrs") {
        found.push("allow_rollup_hdrs is on (a rollup would delete events; must be off)".into());
    }
    if text("storage") != "file" {
        found.push(format!("storage is {} (must be file)", text("storage")));
    }
    if wanted.direct_get && !flag("allow_direct") {
        found.push("allow_direct is off (aggregates are read by direct get; must be on)".into());
    }
    if flag("sealed") {
        found.push("sealed is on (nothing can be appended; must be off)".into());
    }
    if config.get("mirror").is_some_and(|m| !m.is_null()) {
        found.push("mirror is set (a mirror takes no appends; must be unset)".into());
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn wanted() -> Requirements {
        Requirements { subjects: "skp.events.>".into(), replicas: 1, min_duplicate_window: Duration::from_secs(120), direct_get: true }
    }

    fn safe() -> Value {
        json!({"name": "SKP_EVENTS", "subjects": ["skp.events.>"], "retention": "limits", "max_consumers": -1, "max_msgs": -1,
            "max_bytes": -1, "max_age": 0, "max_msgs_per_subject": -1, "max_msg_size": -1, "discard": "new", "storage": "file",
            "num_replicas": 1, "duplicate_window": 120_000_000_000_i64, "sealed": false, "deny_delete": true, "deny_purge": true,
            "allow_rollup_hdrs": false, "allow_direct": true, "mirror_direct": false})
    }

    #[test]
    fn the_configuration_skp_creates_is_safe() {
        assert_eq!(problems(&safe(), &wanted()), Vec::<String>::new());
    }

    #[test]
    fn every_setting_that_could_lose_an_event_is_refused_by_name() {
        let cases: [(&str, Value); 17] = [
            ("max_msgs", json!(1000)),
            ("max_bytes", json!(1 << 30)),
            ("max_age", json!(3_600_000_000_000_i64)),
            ("max_msgs_per_subject", json!(5)),
            ("discard", json!("old")),
            ("retention", json!("workqueue")),
            ("allow_msg_ttl", json!(true)),
            ("subject_delete_marker_ttl", json!(60_000_000_000_i64)),
            ("num_replicas", json!(0)),
            ("subjects", json!(["skp.events.>", "other.>"])),
            ("duplicate_window", json!(1_000_000_000)),
            ("deny_delete", json!(false)),
            ("deny_purge", json!(false)),
            ("allow_rollup_hdrs", json!(true)),
            ("storage", json!("memory")),
            ("allow_direct", json!(false)),
            ("sealed", json!(true)),
        ];
        let mut three = wanted();
        three.replicas = 3;
        for (key, value) in cases {
            let mut config = safe();
            config[key] = value;
            let found = if key == "num_replicas" { problems(&config, &three) } else { problems(&config, &wanted()) };
            assert_eq!(found.len(), 1, "{key}: {found:?}");
            assert!(found[0].starts_with(key), "{key}: {found:?}");
        }
    }

    #[test]
    fn a_stream_that_does_not_capture_its_subjects_is_refused() {
        let mut config = safe();
        config["subjects"] = json!(["skp.other.>"]);
        assert!(problems(&config, &wanted())[0].starts_with("subjects"));
    }
}
