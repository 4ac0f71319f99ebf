//! The render's Jobs at boot, as `kubectl apply` runs them: each Job's
//! first run, and a second as after `kubectl delete job` and the same
//! apply, exits 0; the ACLs Job converges the ACLs of the principals it
//! owns, and the users Job the SCRAM credentials it made.

use crate::checks::Report;
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
    let Some(listed) = third_run(
        s,
        inside,
        &job,
        "ACLs were added by hand",
        "acls",
        bootstrap,
    )?
    else {
        return Ok(());
    };
    converged(
        &mut s.report,
        &listed,
        &declared,
        &strays,
        &by_hand,
        [
            format!("acls: all {} declared ACLs are in place", declared.len()),
            format!(
                "acls: the Job removed the {} ACLs of principals it owns that the spec does not declare",
                strays.len()
            ),
            format!("acls: the Job left alone an ACL of a principal it does not own ({by_hand})"),
        ],
    );
    Ok(())
}

/// The users Job converges: after SCRAM credentials are set by hand, a
/// third run deletes those it made (its iteration count) that the spec
/// does not declare (a former user's, a declared user's other mechanism)
/// and leaves the one of its own making alone; every declared user keeps
/// its credential; and the former user, who could log in before the run,
/// is refused after it.
pub fn scram_convergence(s: &mut Session, inside: &mut Client, bootstrap: &str) -> Result<()> {
    use crate::security::{self, Who};
    let Some(job) = s
        .cluster
        .objects
        .jobs
        .iter()
        .find(|j| objects::job_env(j, job_input::USERS).is_some())
        .cloned()
    else {
        return Ok(());
    };
    let declared = job_input::users(&objects::job_env(&job, job_input::USERS).unwrap_or_default());
    let marker =
        objects::job_env(&job, job_input::ITERATIONS).context("the users Job's ITERATIONS")?;
    let mechanism = kafkagen::broker_properties::SCRAM;
    let former = ("kafkagen-live-former", "former-secret");
    let mut strays = vec![format!("{}|{mechanism}|{marker}", former.0)];
    if let Some(user) = declared.first() {
        strays.push(format!("{user}|SCRAM-SHA-256|{marker}"));
    }
    // Kafka's minimum and kafka-configs' default: not the Job's.
    let by_hand = format!("kafkagen-live-by-hand|{mechanism}|4096");
    for line in strays.iter().chain([&by_hand]) {
        let f: Vec<&str> = line.split('|').collect();
        if let Err(e) = inside.call(&format!(
            "scram-add {bootstrap} {} {} {} {}-secret",
            f[0], f[1], f[2], f[0]
        )) {
            s.report
                .fail(format!("users: cannot set {line} by hand: {e:#}"));
            return Ok(());
        }
    }
    // Where SCRAM logins are tried: as the former user before the run,
    // and after it as the former and the by-hand user.
    let mut login = crate::listeners::scram_listener(s, bootstrap)?;
    let home = security::demands(&s.cluster, "INTERNAL").filter(|h| h.tls || h.authenticated());
    let who = |line: &str| {
        let user = line.split('|').next().unwrap_or_default();
        Who::Password(user.into(), format!("{user}-secret"))
    };
    if let Some((d, at, own)) = &mut login {
        let (client, restore) = match own {
            Some(c) => (c, None),
            None => (&mut *inside, home.as_ref()),
        };
        logs_in(
            s,
            client,
            d,
            at,
            &who(&strays[0]),
            "before the Job's third run",
            restore,
        );
    }
    let Some(listed) = third_run(
        s,
        inside,
        &job,
        "SCRAM credentials were set by hand",
        "scram",
        bootstrap,
    )?
    else {
        return Ok(());
    };
    let wanted: Vec<String> = declared
        .iter()
        .map(|u| format!("{u}|{mechanism}|{marker}"))
        .collect();
    converged(
        &mut s.report,
        &listed,
        &wanted,
        &strays,
        &by_hand,
        [
            format!(
                "users: all {} declared users have the Job's credential",
                declared.len()
            ),
            format!(
                "users: the Job deleted the {} credentials it made that the spec does not declare",
                strays.len()
            ),
            format!("users: the Job left alone a credential it did not make ({by_hand})"),
        ],
    );
    if let Some((d, at, own)) = &mut login {
        let (client, restore) = match own {
            Some(c) => (c, None),
            None => (&mut *inside, home.as_ref()),
        };
        security::refused(s, client, d, who(&strays[0]), at, restore);
        logs_in(
            s,
            client,
            d,
            at,
            &who(&by_hand),
            "after the Job's third run",
            restore,
        );
    } else {
        s.report
            .skip("users: no listener takes SCRAM logins: who may log in is not tried");
    }
    Ok(())
}

/// `who` logs in at `at` (`d`'s listener), and the client goes back to
/// `restore`'s login after.
fn logs_in(
    s: &mut Session,
    client: &mut Client,
    d: &crate::security::Demands,
    at: &str,
    who: &crate::security::Who,
    when: &str,
    restore: Option<&crate::security::Demands>,
) {
    use crate::security::{self, Who};
    match security::login(&s.cluster, &s.issued, client, d, who) {
        Ok(said) => match client.call(&format!("cluster {at}")) {
            Ok(_) => s.report.pass(format!(
                "users: {}: {} logs in with {said} {when}",
                client.name, d.listener
            )),
            Err(e) => s.report.fail(format!(
                "users: {}: {} refuses a client with {said} {when}: {e:#}",
                client.name, d.listener
            )),
        },
        Err(e) => s
            .report
            .fail(format!("users: cannot set up the login: {e}")),
    }
    if let Some(home) = restore
        && let Err(e) = security::login(&s.cluster, &s.issued, client, home, &Who::AsDemanded)
    {
        s.report.fail(format!(
            "users: {}: cannot restore the client: {e}",
            client.name
        ));
    }
}

/// What a Job's third run left, as `listed` (`;` between lines): every
/// line of `wanted`, none of `gone`, and `kept`; one check each, `said`
/// in that order, naming what is missing or still there.
fn converged(
    report: &mut Report,
    listed: &str,
    wanted: &[String],
    gone: &[String],
    kept: &str,
    said: [String; 3],
) {
    let have: BTreeSet<&str> = listed.split(';').filter(|l| !l.is_empty()).collect();
    let missing: Vec<&String> = wanted
        .iter()
        .filter(|w| !have.contains(w.as_str()))
        .collect();
    let left: Vec<&String> = gone.iter().filter(|g| have.contains(g.as_str())).collect();
    let [all, deleted, alone] = said;
    report.check(
        missing.is_empty(),
        if missing.is_empty() {
            all
        } else {
            format!("{all}; missing: {missing:?}")
        },
    );
    report.check(
        left.is_empty(),
        if left.is_empty() {
            deleted
        } else {
            format!("{deleted}; still there: {left:?}")
        },
    );
    report.check(have.contains(kept), alone);
}

/// A third run of `job`, after `after`; then what the inside client lists
/// with `list` (a command that answers `list=...`), or `None` when it
/// cannot, which fails.
fn third_run(
    s: &mut Session,
    inside: &mut Client,
    job: &k8s_openapi::api::batch::v1::Job,
    after: &str,
    list: &str,
    bootstrap: &str,
) -> Result<Option<String>> {
    let name = job.metadata.name.clone().unwrap_or_default();
    let def = objects::job_pod(job, 2)?;
    let third = def.name.clone();
    s.cluster.create_pod(def)?;
    job_run(s, &name, &third, &format!("a third run, after {after}"))?;
    match inside.call(&format!("{list} {bootstrap}")) {
        Ok(a) => Ok(Some(field(&a, list).unwrap_or("").to_string())),
        Err(e) => {
            s.report.fail(format!(
                "job {name}: after its third run, cannot list {list}: {e:#}"
            ));
            Ok(None)
        }
    }
}
