//! PostgreSQL over TLS (issue 15): a PostgreSQL cluster of the test's own with `ssl = on`,
//! a certificate from the shipped `deploy/certs/make-certs.sh`, and a `pg_hba.conf` that
//! takes TLS connections only; SKP's read store connects with `sslmode=verify-full` and the
//! test's CA, and the server confirms the connection is encrypted. Without TLS, or with a CA
//! that did not sign the server, there is no connection.

use crate::common::nats_secure::Certs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Runs a PostgreSQL tool as the `postgres` user when the test runs as root (initdb refuses
/// root), else as the test's own user.
fn pg(tool: &str, args: &[&str]) -> std::process::Output {
    let bin = ["/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin"]
        .iter()
        .map(|d| Path::new(d).join(tool))
        .find(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from(tool));
    let root = Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let mut command = if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(&bin);
        c
    } else {
        Command::new(&bin)
    };
    command.args(args).stdin(Stdio::null()).output().unwrap_or_else(|e| panic!("{tool}: {e}"))
}

struct Cluster {
    dir: PathBuf,
    port: u16,
}

impl Cluster {
    fn start(certs: &Certs) -> Self {
        let dir = std::env::temp_dir().join(format!("skp-pg-tls-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let data = dir.join("data");
        let _ = Command::new("chown").args(["-R", "postgres:postgres"]).arg(&dir).status();
        let init = pg("initdb", &["-D", data.to_str().unwrap(), "-A", "trust", "-U", "postgres", "--no-sync"]);
        assert!(init.status.success(), "initdb: {}", String::from_utf8_lossy(&init.stderr));
        for file in ["server-cert.pem", "server-key.pem", "ca.pem"] {
            std::fs::copy(certs.dir.join(file), data.join(file)).unwrap();
        }
        // TLS connections only: a clear-text connection finds no pg_hba line.
        std::fs::write(data.join("pg_hba.conf"), "hostssl all all 127.0.0.1/32 trust\nhostssl all all ::1/128 trust\nlocal all all trust\n").unwrap();
        let _ = Command::new("chown").args(["-R", "postgres:postgres"]).arg(&dir).status();
        let _ = Command::new("chmod").args(["600"]).arg(data.join("server-key.pem")).status();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let options = format!(
            "-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} -c ssl=on -c ssl_cert_file=server-cert.pem -c ssl_key_file=server-key.pem -c fsync=off",
            dir.display()
        );
        let log = dir.join("log");
        let started = pg("pg_ctl", &["-D", data.to_str().unwrap(), "-l", log.to_str().unwrap(), "-o", &options, "-w", "-t", "60", "start"]);
        assert!(started.status.success(), "pg_ctl start: {}{}", String::from_utf8_lossy(&started.stderr), std::fs::read_to_string(&log).unwrap_or_default());
        Self { dir, port }
    }

    fn url(&self, host: &str, query: &str) -> String {
        format!("postgres://postgres@{host}:{}/postgres?{query}", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = pg("pg_ctl", &["-D", self.dir.join("data").to_str().unwrap(), "-m", "immediate", "stop"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test]
async fn the_read_store_connects_to_postgresql_over_tls_with_verify_full() {
    let certs = Certs::make();
    let cluster = Cluster::start(&certs);
    let ca = certs.path("ca.pem");
    for host in ["localhost", "127.0.0.1"] {
        let url = cluster.url(host, &format!("sslmode=verify-full&sslrootcert={ca}"));
        let store = skp_projections::ReadStore::connect(&url, "skp_tls", 2).await.unwrap_or_else(|e| panic!("{host}: {}", skp_store::error::chain(&e)));
        let encrypted: bool = sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetch_one(store.pool()).await.unwrap();
        assert!(encrypted, "{host}: the connection is encrypted");
    }
    // The server takes nothing in clear text, and verify-full refuses a server its CA did
    // not sign.
    let clear = sqlx::PgPool::connect(&cluster.url("127.0.0.1", "sslmode=disable")).await;
    assert!(clear.is_err(), "a clear-text connection was accepted");
    let wrong_ca = sqlx::PgPool::connect(&cluster.url("localhost", &format!("sslmode=verify-full&sslrootcert={}", certs.path("client-cert.pem")))).await;
    assert!(wrong_ca.is_err(), "a server not signed by the given CA was trusted");
    // `require` (encrypt, check nothing) works too; it is what `prefer` silently was not.
    let required = sqlx::PgPool::connect(&cluster.url("127.0.0.1", "sslmode=require")).await.unwrap();
    let encrypted: bool = sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetch_one(&required).await.unwrap();
    assert!(encrypted);
}
