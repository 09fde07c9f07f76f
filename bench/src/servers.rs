//! The servers a run measures against: private nats-server processes (one with
//! nats-server's default lazy flush, one with `sync_interval: always`), started from the
//! binary in `SKP_BENCH_NATS_SERVER` (default `nats-server` on PATH; `scripts/bench` passes
//! the newest it can find) on free loopback ports with their own store directories, and the
//! PostgreSQL of `SKP_DATABASE_URL`. Private processes, so that both durabilities run on one
//! binary and the server's own memory can be read from `/proc`.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How the server flushes: nats-server's default, or fsync before every acknowledgement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    Lazy,
    Durable,
}

impl Durability {
    pub fn label(self) -> &'static str {
        match self {
            Self::Lazy => "lazy",
            Self::Durable => "durable",
        }
    }
}

/// A nats-server of the run's own; killed and its store removed when dropped.
#[derive(Debug)]
pub struct NatsServer {
    child: Child,
    pub port: u16,
    pub durability: Durability,
    pub version: String,
    dir: PathBuf,
}

pub fn nats_binary() -> String {
    std::env::var("SKP_BENCH_NATS_SERVER").unwrap_or_else(|_| "nats-server".into())
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl NatsServer {
    /// Starts one and waits until it accepts connections.
    pub async fn start(durability: Durability) -> anyhow::Result<Self> {
        let binary = nats_binary();
        let version_output = Command::new(&binary).arg("--version").output().map_err(|e| anyhow::anyhow!("{binary}: {e} (set SKP_BENCH_NATS_SERVER or run scripts/bench)"))?;
        let version = String::from_utf8_lossy(&version_output.stdout).trim().trim_start_matches("nats-server: v").to_owned();
        let port = free_port()?;
        let dir = std::env::temp_dir().join(format!("skp-bench-nats-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir)?;
        let sync = match durability {
            Durability::Lazy => "",
            Durability::Durable => "sync_interval: always",
        };
        let config = dir.join("nats.conf");
        std::fs::write(&config, format!("listen: 127.0.0.1:{port}\nmax_payload: 8MB\njetstream {{\n  store_dir: {:?}\n  max_memory_store: 1GB\n  {sync}\n}}\n", dir.join("store")))?;
        let child = Command::new(&binary).arg("-c").arg(&config).stdout(Stdio::null()).stderr(Stdio::null()).spawn()?;
        let server = Self { child, port, durability, version, dir };
        let deadline = Instant::now() + Duration::from_secs(20);
        while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            anyhow::ensure!(Instant::now() < deadline, "nats-server did not start on port {port}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(server)
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether it has atomic batch publishes (nats-server 2.12 and newer).
    pub fn has_atomic_batches(&self) -> bool {
        let mut parts = self.version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
        let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
        (major, minor) >= (2, 12)
    }

    /// Its resident memory now and at its peak (`/proc/<pid>/status`).
    pub fn memory(&self) -> anyhow::Result<Memory> {
        Memory::of(self.pid())
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Resident memory of a process, in MiB.
#[derive(Debug, Clone, Copy)]
pub struct Memory {
    pub rss_mib: f64,
    pub peak_mib: f64,
}

impl Memory {
    pub fn of(pid: u32) -> anyhow::Result<Self> {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        let field = |name: &str| -> f64 {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|kb| kb.parse::<f64>().ok())
                .map_or(0.0, |kb| kb / 1024.0)
        };
        Ok(Self { rss_mib: field("VmRSS:"), peak_mib: field("VmHWM:") })
    }
}

/// The PostgreSQL the projections write to.
pub fn database_url() -> String {
    std::env::var("SKP_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}
