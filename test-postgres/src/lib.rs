//! A throwaway PostgreSQL for tests: one cluster per test process (`initdb` + `pg_ctl` in a
//! temporary directory on a free port), or the server named by `IC_TEST_POSTGRES_URL`; each
//! test gets a fresh, empty database on it with [`fresh_database`].
//!
//! Where PostgreSQL is neither installed nor named, [`fresh_database`] panics with how to get
//! it: a PostgreSQL test never passes without PostgreSQL.
//!
//! Why hand-written: the crates that start a PostgreSQL for tests download server binaries at
//! run time (not possible here) or need Docker; this starts the distribution's own binaries.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::Connection;

/// The variable naming an existing server to create test databases on, e.g.
/// `postgres://postgres:secret@127.0.0.1:5432/postgres` (the user must be allowed
/// `CREATE DATABASE`).
pub const URL_VARIABLE: &str = "IC_TEST_POSTGRES_URL";

/// What to do when there is no PostgreSQL: printed by the panic of [`fresh_database`].
const HOW_TO_GET_POSTGRES: &str = "the PostgreSQL tests need PostgreSQL 15 or newer: install the \
    server binaries with scripts/ensure-postgres (Debian: `apt-get install postgresql`, which \
    provides initdb and pg_ctl), or set IC_TEST_POSTGRES_URL to a server where this user may \
    CREATE DATABASE";

/// The URL of a new, empty database for one test, on `IC_TEST_POSTGRES_URL` or this process's
/// shared cluster. Panics (failing the test) when no PostgreSQL can be had, saying how to
/// install one. Blocking, so that synchronous test helpers can call it too.
pub fn fresh_database() -> String {
    match admin_url() {
        Ok(url) => create_database(&url),
        Err(problem) => panic!("{problem}\n{HOW_TO_GET_POSTGRES}"),
    }
}

/// The URL to administer the shared test server: `IC_TEST_POSTGRES_URL`, or the throwaway
/// cluster of this process (started on first use, stopped when the process exits).
pub fn admin_url() -> Result<String, String> {
    if let Ok(url) = std::env::var(URL_VARIABLE)
        && !url.trim().is_empty()
    {
        return Ok(url);
    }
    static SHARED: OnceLock<Result<Cluster, String>> = OnceLock::new();
    SHARED
        .get_or_init(Cluster::start)
        .as_ref()
        .map(|cluster| cluster.admin_url.clone())
        .map_err(Clone::clone)
}

/// A throwaway cluster of this test process's own, which a test may stop and start again (to
/// see a server lose its database). It is stopped and removed when the process exits.
#[derive(Debug)]
pub struct Cluster {
    admin_url: String,
    bin: PathBuf,
    data: PathBuf,
    log: PathBuf,
    options: String,
    as_root: bool,
}

impl Cluster {
    /// Starts a cluster for tests in a temporary directory on a free loopback port, with
    /// password logins as production servers have; a watchdog process stops it and removes the
    /// directory once this process has exited. It does not wait for the disk (no fsync).
    pub fn start() -> Result<Self, String> {
        Self::start_with(false)
    }

    /// Like [`Cluster::start`], but as durable as a production server (fsync and synchronous
    /// commit on), for benchmarks that compare with a SQLite database that waits for the disk.
    pub fn start_durable() -> Result<Self, String> {
        Self::start_with(true)
    }

    fn start_with(durable: bool) -> Result<Self, String> {
        let bin = server_binaries().ok_or("initdb and pg_ctl were not found")?;
        let dir = tempfile::Builder::new()
            .prefix("ic-test-postgres-")
            .tempdir()
            .map_err(|error| format!("creating the cluster directory: {error}"))?
            .keep();
        let data = dir.join("data");
        let sockets = dir.join("sockets");
        std::fs::create_dir_all(&sockets).map_err(|error| error.to_string())?;
        let password = format!("test-{}-{}", std::process::id(), unique_suffix());
        let password_file = dir.join("password");
        std::fs::write(&password_file, &password).map_err(|error| error.to_string())?;
        // PostgreSQL refuses to run as root: the cluster belongs to the `postgres` user then.
        let as_root = is_root();
        if as_root {
            run(Command::new("chown").args(["-R", "postgres:"]).arg(&dir))?;
        }
        run(as_user(as_root, &bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                "postgres",
                "-A",
                "scram-sha-256",
                "--no-sync",
                "-E",
                "UTF8",
            ])
            .arg(format!("--pwfile={}", password_file.display()))
            .arg("--locale=C"))?;
        let port = free_port()?;
        // A test cluster need not survive a power cut: no fsync makes it much faster.
        let speed = if durable {
            ""
        } else {
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        };
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c max_connections=300{speed}",
            sockets.display()
        );
        let cluster = Self {
            admin_url: format!("postgres://postgres:{password}@127.0.0.1:{port}/postgres"),
            bin,
            log: dir.join("postgres.log"),
            data,
            options,
            as_root,
        };
        cluster.start_again()?;
        watch(as_root, &cluster.bin, &dir, &cluster.data);
        Ok(cluster)
    }

    /// The process id of the cluster's postmaster (every backend is its child), from its
    /// `postmaster.pid`; `None` while it is not running.
    pub fn postmaster_pid(&self) -> Option<u32> {
        std::fs::read_to_string(self.data.join("postmaster.pid"))
            .ok()?
            .lines()
            .next()?
            .trim()
            .parse()
            .ok()
    }

    /// A new, empty database on this cluster.
    pub fn fresh_database(&self) -> String {
        create_database(&self.admin_url)
    }

    /// Stops the server, cutting every connection, and keeps its data. (A fast shutdown, not
    /// an immediate one: the cluster runs without synchronous commit, so a crash would lose
    /// the last commits, which is not what a test of a lost connection is about.)
    pub fn stop(&self) -> Result<(), String> {
        run(as_user(self.as_root, &self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "fast", "-w", "stop"]))
    }

    /// Starts the server (again) on the same port and data.
    pub fn start_again(&self) -> Result<(), String> {
        run(as_user(self.as_root, &self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(&self.data)
            .args(["-o", &self.options, "-l"])
            .arg(&self.log)
            .args(["-w", "start"]))
    }
}

/// Creates a uniquely named database through `admin` and returns its URL.
fn create_database(admin: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "ic_test_{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst),
        unique_suffix()
    );
    let sql = format!("CREATE DATABASE {name}");
    let url = admin.to_owned();
    // On a thread of its own, so that callers inside an async runtime can block on it.
    let created = std::thread::spawn(move || -> Result<(), String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|error| error.to_string())?;
        runtime.block_on(async {
            let mut conn = sqlx::PgConnection::connect(&url)
                .await
                .map_err(|error| format!("connecting to the test PostgreSQL: {error}"))?;
            sqlx::query(&sql)
                .execute(&mut conn)
                .await
                .map_err(|error| error.to_string())?;
            let _ = conn.close().await;
            Ok(())
        })
    })
    .join();
    match created {
        Ok(Ok(())) => with_database(admin, &name),
        Ok(Err(error)) => panic!("creating test database {name}: {error}"),
        Err(_) => panic!("creating test database {name}: the thread panicked"),
    }
}

/// `url` with its database replaced by `database`.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{database}?{query}"),
        None => format!("{base}/{database}"),
    }
}

fn unique_suffix() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.subsec_nanos())
}

/// The folder holding `initdb` and `pg_ctl`: on the `PATH`, else Debian's versioned folders.
fn server_binaries() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file())
    });
    on_path.or_else(|| {
        let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|entry| entry.ok().map(|e| e.path().join("bin")))
            .filter(|bin| bin.join("initdb").is_file())
            .collect();
        versions.sort();
        versions.pop()
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
        .unwrap_or(false)
}

/// `program`, run as the `postgres` user when this process is root.
fn as_user(as_root: bool, program: &Path) -> Command {
    if as_root {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn run(command: &mut Command) -> Result<(), String> {
    let out = command
        .stdin(Stdio::null())
        .output()
        .map_err(|error| format!("running {command:?}: {error}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{command:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|error| error.to_string())?;
    listener
        .local_addr()
        .map(|address| address.port())
        .map_err(|error| error.to_string())
}

/// A detached shell that waits for this process to end, then stops the cluster and removes
/// its directory (a test process has no reliable exit hook).
fn watch(as_root: bool, bin: &Path, dir: &Path, data: &Path) {
    let script = format!(
        "while [ -d /proc/{pid} ]; do sleep 1; done; {stop} -D '{data}' -m immediate stop; \
         rm -rf '{dir}'",
        pid = std::process::id(),
        stop = if as_root {
            format!("runuser -u postgres -- '{}'", bin.join("pg_ctl").display())
        } else {
            format!("'{}'", bin.join("pg_ctl").display())
        },
        data = data.display(),
        dir = dir.display(),
    );
    let _ = Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn the_database_of_a_url_is_replaced() {
        assert_eq!(
            with_database("postgres://u:p@h:5/postgres", "t1"),
            "postgres://u:p@h:5/t1"
        );
        assert_eq!(
            with_database("postgres://u@h:5/postgres?sslmode=disable", "t2"),
            "postgres://u@h:5/t2?sslmode=disable"
        );
        assert_eq!(with_database("postgres://h", "t3"), "postgres://h/t3");
    }
}
