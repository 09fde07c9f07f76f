//! A nats-server of the test's own, on a free loopback port with its own store directory,
//! for tests that stop or restart the server.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct NatsProcess {
    child: Option<Child>,
    pub port: u16,
    dir: PathBuf,
    binary: String,
}

fn binary() -> String {
    std::env::var("SKP_TEST_NATS_SERVER").unwrap_or_else(|_| "nats-server".into())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl NatsProcess {
    /// A server from `SKP_TEST_NATS_SERVER` (else `nats-server` on the PATH).
    pub fn start() -> Self {
        Self::start_with(&binary())
    }

    /// A server from the binary `binary`.
    pub fn start_with(binary: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("skp-nats-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut process = Self { child: None, port: free_port(), dir, binary: binary.to_owned() };
        process.launch();
        process
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    fn launch(&mut self) {
        let child = Command::new(&self.binary)
            .args(["-a", "127.0.0.1", "-p", &self.port.to_string(), "-js", "-sd"])
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server on PATH (or SKP_TEST_NATS_SERVER)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "nats-server did not start on port {}", self.port);
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops the server gracefully (SIGTERM: it flushes and closes its store) and waits.
    pub fn terminate(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port with the same store.
    pub fn start_again(&mut self) {
        self.launch();
    }

    pub fn restart(&mut self) {
        self.stop();
        self.launch();
    }
}

impl Drop for NatsProcess {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
