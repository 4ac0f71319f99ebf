//! The render's Jobs at boot, as `kubectl apply` runs them: each Job's
//! first run, and a second as after `kubectl delete job` and the same
//! apply, exits 0; the ACLs Job converges the ACLs of the principals it
//! owns.

use crate::client::{Client, field};
use crate::objects;
use crate::session::{Session, TOPIC, log_tail};
use anyhow::{Context, Result};
use kafkagen::job_input;
use std::collections::BTreeSet;
use std::time::Duration;

/// Runs a Job's pod until its first container exits (a Job retries a
/// failure, but the first run must succeed); reports the exit and, on a
/// failure, the end of the log.
pub fn job_run(s: &mut Session, job: &str, name: &str, what: &str) -> Result<()> {
    let exited = s.tick_until(Duration::from_secs(600), |c| {
        c.kubelet
            .pod(name)
            .is_some_and(|p| !p.containers[0].exit_codes.is_empty())
    })?;
    let pod = s.cluster.kubelet.pod(name).context("the Job's pod")?;
    let code = pod.containers[0].exit_codes.first().copied().flatten();
    let log = pod.containers[0].log.clone();
    if exited && code == Some(0) {
        s.report.pass(format!("job {job}: {what} exited 0"));
    } else {
        s.report.fail(format!(
            "job {job}: {what} exited {}; the end of its log:\n{}",
            code.map_or("(not yet)".to_string(), |c| c.to_string()),
            log_tail(&log, 15)
        ));
    }
    s.cluster.kubelet.delete(name);
    Ok(())
}

pub fn run(s: &mut Session) -> Result<()> {
    let jobs = s.cluster.objects.jobs.clone();
    for job in &jobs {
        let name = job.metadata.name.clone().unwrap_or_default();
        let first = objects::job_pod(job, 0)?.name;
        job_run(s, &name, &first, "its first run (started with the cluster)")?;
        // Again, as after `kubectl delete job` and the same apply.
        let def = objects::job_pod(job, 1)?;
        let second = def.name.clone();
        s.cluster.create_pod(def)?;
        job_run(s, &name, &second, "a second run")?;
    }
    Ok(())
}

/// The ACLs Job converges: after ACLs are added by hand, a third run
/// removes those of the principals it owns (a declared user's undeclared
/// ACL; every ACL of a user a former spec declared, marker included) and
/// leaves those of others, and every declared ACL is still there.
pub fn acl_convergence(s: &mut Session, inside: &mut Client, bootstrap: &str) -> Result<()> {
    let Some(job) = s
        .cluster
        .objects
        .jobs
        .iter()
        .find(|j| objects::job_env(j, job_input::ACLS).is_some())
        .cloned()
    else {
        return Ok(());
    };
    let entries = job_input::acls(&objects::job_env(&job, job_input::ACLS).unwrap_or_default());
    let declared: Vec<String> = entries.iter().map(job_input::AclEntry::line).collect();
    let marker = objects::job_env(&job, job_input::MARKER).context("the ACLs Job's MARKER")?;
    let mut strays = vec![
        format!("User:kafkagen-live-former|*|DESCRIBE|ALLOW|TRANSACTIONAL_ID|{marker}|LITERAL"),
        format!("User:kafkagen-live-former|*|READ|ALLOW|TOPIC|{TOPIC}|LITERAL"),
    ];
    if let Some(owned) = entries.first().map(|a| &a.principal) {
        strays.push(format!("{owned}|*|ALTER|ALLOW|TOPIC|{TOPIC}|LITERAL"));
    }
    let by_hand = format!("User:kafkagen-live-by-hand|*|READ|ALLOW|TOPIC|{TOPIC}|LITERAL");
    for acl in strays.iter().chain([&by_hand]) {
        if let Err(e) = inside.call(&format!("acl-add {bootstrap} {acl}")) {
            s.report
                .fail(format!("acls: cannot add {acl} by hand: {e:#}"));
            return Ok(());
        }
    }
    let name = job.metadata.name.clone().unwrap_or_default();
    let def = objects::job_pod(&job, 2)?;
    let third = def.name.clone();
    s.cluster.create_pod(def)?;
    job_run(
        s,
        &name,
        &third,
        "a third run, after ACLs were added by hand",
    )?;
    let listed = match inside.call(&format!("acls {bootstrap}")) {
        Ok(a) => field(&a, "acls").unwrap_or("").to_string(),
        Err(e) => {
            s.report.fail(format!("acls: cannot list them: {e:#}"));
            return Ok(());
        }
    };
    let have: BTreeSet<&str> = listed.split(';').filter(|l| !l.is_empty()).collect();
    let missing: Vec<&String> = declared
        .iter()
        .filter(|d| !have.contains(d.as_str()))
        .collect();
    s.report.check(
        missing.is_empty(),
        format!(
            "acls: all {} declared ACLs are in place{}",
            declared.len(),
            if missing.is_empty() {
                String::new()
            } else {
                format!("; missing: {missing:?}")
            }
        ),
    );
    let left: Vec<&String> = strays
        .iter()
        .filter(|a| have.contains(a.as_str()))
        .collect();
    s.report.check(
        left.is_empty(),
        format!(
            "acls: the Job removed the {} ACLs of principals it owns that the spec does not declare{}",
            strays.len(),
            if left.is_empty() {
                String::new()
            } else {
                format!("; still there: {left:?}")
            }
        ),
    );
    s.report.check(
        have.contains(by_hand.as_str()),
        format!("acls: the Job left alone an ACL of a principal it does not own ({by_hand})"),
    );
    Ok(())
}
