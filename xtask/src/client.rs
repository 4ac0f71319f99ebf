//! A Kafka client process (`java/client/LiveClient.java`) in a network
//! namespace: inside the cluster, or outside it. One command per line in,
//! one answer per line out.

use anyhow::{Context, Result, bail};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

pub struct Client {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    pub name: String,
    /// The network namespace it runs in.
    pub netns: String,
}

/// The clients' warnings to standard error, for reload4j.
const LOG4J: &str = "log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.target=System.err
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=%d{HH:mm:ss,SSS} %p %c{1} [%t] %m%n
";

/// The same for Log4j 2.
const LOG4J2: &str = "appender.stderr.type=Console
appender.stderr.name=stderr
appender.stderr.target=SYSTEM_ERR
appender.stderr.layout.type=PatternLayout
appender.stderr.layout.pattern=%d{HH:mm:ss,SSS} %p %c{1} [%t] %m%n
rootLogger.level=warn
rootLogger.appenderRef.stderr.ref=stderr
";

impl Client {
    /// Starts the client in `netns` with the Kafka line's jars and the
    /// harness's helper jar; its log goes to `log`.
    pub fn start(name: &str, netns: &str, jars: &Path, helper: &Path, log: &Path) -> Result<Self> {
        let classpath = format!("{}/*:{}/*", helper.display(), jars.display());
        // The Kafka clients' warnings, with the time, in the client's log:
        // reload4j reads the first file (Kafka 3.x), Log4j 2 the second (4.x).
        let log4j = log.with_extension("log4j.properties");
        let log4j2 = log.with_extension("log4j2.properties");
        std::fs::write(&log4j, LOG4J)?;
        std::fs::write(&log4j2, LOG4J2)?;
        let log = std::fs::File::create(log)?;
        let mut child = Command::new("ip")
            .args(["netns", "exec", netns, "java"])
            .args(["-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"])
            .arg(format!("-Dlog4j.configuration=file:{}", log4j.display()))
            .arg(format!("-Dlog4j2.configurationFile={}", log4j2.display()))
            .arg("-cp")
            .arg(&classpath)
            .arg("io.kafkagen.live.LiveClient")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .context("cannot start the Kafka client")?;
        let stdin = child.stdin.take().unwrap();
        let stdout: ChildStdout = child.stdout.take().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut c = Client {
            child,
            stdin,
            lines: rx,
            name: name.to_string(),
            netns: netns.to_string(),
        };
        let first = c.read(Duration::from_secs(60))?;
        if first != "ready" {
            bail!("the {name} client said `{first}`");
        }
        Ok(c)
    }

    fn read(&mut self, timeout: Duration) -> Result<String> {
        self.lines
            .recv_timeout(timeout)
            .with_context(|| format!("the {} client did not answer within {timeout:?}", self.name))
    }

    /// Sends one command; `Ok` with the answer after `ok `, or the reason
    /// after `fail ` as an error.
    pub fn call(&mut self, command: &str) -> Result<String> {
        writeln!(self.stdin, "{command}")?;
        self.stdin.flush()?;
        let answer = self.read(Duration::from_secs(300))?;
        match answer.split_once(' ') {
            Some(("ok", rest)) => Ok(rest.to_string()),
            Some(("fail", rest)) => bail!("{rest}"),
            _ => bail!("unexpected answer `{answer}`"),
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `key=value` words of an answer.
pub fn field<'a>(answer: &'a str, key: &str) -> Option<&'a str> {
    answer
        .split_whitespace()
        .find_map(|w| w.strip_prefix(key)?.strip_prefix('='))
}
