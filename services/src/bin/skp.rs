//! `skp`: the command-line tool for operators and inspectors.
//!
//! `skp token --nip NIP [--role admin|inspector]... [--ttl SECONDS]` prints a development
//! token signed with `SKP_JWT_SECRET`.

use std::process::ExitCode;

fn usage() -> ExitCode {
    eprintln!("usage: skp token --nip <NIP> [--role admin|inspector]... [--ttl <seconds>]\n\nSigns a development bearer token with SKP_JWT_SECRET.");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) != Some("token") || args.iter().any(|a| a == "--help" || a == "-h") {
        return usage();
    }
    let (mut nip, mut roles, mut ttl) = (None, Vec::new(), 12 * 3600);
    let mut rest = args[1..].iter();
    while let Some(flag) = rest.next() {
        let Some(value) = rest.next() else { return usage() };
        match flag.as_str() {
            "--nip" => nip = Some(value.clone()),
            "--role" => roles.push(value.clone()),
            "--ttl" => match value.parse() {
                Ok(seconds) => ttl = seconds,
                Err(_) => return usage(),
            },
            _ => return usage(),
        }
    }
    let Some(nip) = nip else { return usage() };
    if let Err(e) = skp_events::Nip::parse(&nip) {
        eprintln!("skp token: {e}");
        return ExitCode::from(2);
    }
    let Some(secret) = std::env::var("SKP_JWT_SECRET").ok().filter(|s| !s.is_empty()) else {
        eprintln!("skp token: SKP_JWT_SECRET is not set");
        return ExitCode::from(2);
    };
    match skp_services::token::issue(secret.as_bytes(), &nip, &roles, ttl) {
        Ok(token) => {
            #[allow(clippy::print_stdout)]
            {
                println!("{token}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("skp token: {e}");
            ExitCode::FAILURE
        }
    }
}
