//! A 3-node JetStream cluster of the test's own: three nats-server processes on free
//! loopback ports, each with its own store directory and `sync_interval: always`, configured
//! like `deploy/nats/cluster/`. Nodes can be killed (SIGKILL) and started again.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A nats-server that accepts `sync_interval` (`SKP_TEST_NATS_SERVER_DURABLE`, which
/// scripts/test sets), else `SKP_TEST_NATS_SERVER`, else the one on PATH.
fn binary() -> String {
    std::env::var("SKP_TEST_NATS_SERVER_DURABLE")
        .or_else(|_| std::env::var("SKP_TEST_NATS_SERVER"))
        .unwrap_or_else(|_| "nats-server".into())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub struct Node {
    pub name: String,
    pub client_port: u16,
    config: PathBuf,
    child: Option<Child>,
}

pub struct NatsCluster {
    pub nodes: Vec<Node>,
    dir: PathBuf,
}

impl NatsCluster {
    /// Starts three nodes and waits until each accepts connections.
    pub fn start() -> Self {
        let dir = std::env::temp_dir().join(format!("skp-cluster-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let clients: Vec<u16> = (0..3).map(|_| free_port()).collect();
        let routes: Vec<u16> = (0..3).map(|_| free_port()).collect();
        let route_list: Vec<String> = routes.iter().map(|p| format!("    nats-route://127.0.0.1:{p}")).collect();
        let mut nodes = Vec::new();
        for i in 0..3 {
            let name = format!("n{}", i + 1);
            let store = dir.join(&name);
            let config = dir.join(format!("{name}.conf"));
            let text = format!(
                "server_name: {name}\nlisten: 127.0.0.1:{client}\n\
                 jetstream {{\n  store_dir: \"{store}\"\n  sync_interval: always\n}}\n\
                 cluster {{\n  name: skp-test\n  listen: 127.0.0.1:{route}\n  routes: [\n{routes}\n  ]\n}}\n",
                client = clients[i],
                store = store.display(),
                route = routes[i],
                routes = route_list.join("\n"),
            );
            std::fs::write(&config, text).unwrap();
            nodes.push(Node { name, client_port: clients[i], config, child: None });
        }
        let mut cluster = Self { nodes, dir };
        for i in 0..3 {
            cluster.start_node(i);
        }
        cluster
    }

    /// `nats://a,nats://b,nats://c`, the form `SKP_NATS_URL` takes.
    pub fn urls(&self) -> String {
        self.nodes.iter().map(|n| format!("nats://127.0.0.1:{}", n.client_port)).collect::<Vec<_>>().join(",")
    }

    pub fn index_of(&self, name: &str) -> usize {
        self.nodes.iter().position(|n| n.name == name).unwrap_or_else(|| panic!("no node {name}"))
    }

    /// Starts node `i` (again, with the same configuration and store) and waits for its port.
    pub fn start_node(&mut self, i: usize) {
        let node = &mut self.nodes[i];
        let child = Command::new(binary())
            .arg("-c")
            .arg(&node.config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server (SKP_TEST_NATS_SERVER_DURABLE)");
        node.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", node.client_port)).is_err() {
            if let Some(status) = node.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                panic!("nats-server {} exited with {status}; it must accept sync_interval (2.10+): {}", node.name, binary());
            }
            assert!(Instant::now() < deadline, "nats-server {} did not listen on {}", node.name, node.client_port);
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills node `i` with SIGKILL: no flush, no goodbye to its peers.
    pub fn kill_node(&mut self, i: usize) {
        if let Some(mut child) = self.nodes[i].child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for NatsCluster {
    fn drop(&mut self) {
        for i in 0..self.nodes.len() {
            self.kill_node(i);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
