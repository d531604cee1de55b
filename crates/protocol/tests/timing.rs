//! A rough timing of one full request (parse, resolve, decode, encode), ignored by default:
//! `cargo test -p ironiam-protocol --release --test timing -- --ignored --nocapture`.

use std::time::Instant;

use ironiam_protocol::{
    decode_input, parse_form, resolve_operation, write_success, Service, XmlWriter,
};

#[test]
#[ignore = "timing, run by hand in release mode"]
fn full_request_timing() {
    let body = b"Action=CreateRole&Version=2010-05-08&RoleName=my-role&Path=%2Fsvc%2F\
                 &AssumeRolePolicyDocument=%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D\
                 &MaxSessionDuration=7200&Tags.member.1.Key=team&Tags.member.1.Value=core\
                 &Tags.member.2.Key=env&Tags.member.2.Value=prod";
    let run = || {
        let params = parse_form(body).unwrap();
        let op = resolve_operation(Some(Service::Iam), &params).unwrap();
        let input = decode_input(op, &params).unwrap();
        let role = input.str("RoleName").unwrap_or_default();
        write_success(
            Service::Iam,
            op.name,
            "0f0f0f0f-0000-1111-2222-333333333333",
            Some(&|w: &mut XmlWriter| w.nested("Role", |w| w.element("RoleName", role))),
        )
    };
    run(); // compile the patterns once
    let n = 100_000;
    let start = Instant::now();
    let mut total = 0;
    for _ in 0..n {
        total += run().len();
    }
    let per = start.elapsed() / n;
    println!("full CreateRole request: {per:?} per request ({total} bytes written)");
}
