//! Documents whose `CreatePolicy` answers were recorded against real AWS (in
//! localstack's `tests/aws/services/iam/test_iam_policies.snapshot.json`,
//! February 2026). `CreatePolicy` creates a managed policy, so these run as
//! [`PolicyKind::Managed`]. The numbers in the comments are that snapshot's
//! case numbers, so a disagreement can be traced back.

use ironiam_policy::{validate, PolicyKind};

const SYNTAX: &str = "Syntax errors in policy.";
const VERSION: &str = "Policy document must be version 2012-10-17 or greater.";
const LEGACY: &str = "The policy failed legacy parsing";
const ACTIONS: &str = "Policy statement must contain actions.";
const RESOURCES: &str = "Policy statement must contain resources.";
const NO_VENDOR: &str =
    "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.";
const COLONS: &str = "Actions/Condition can contain only one colon.";

/// `{"Version": "2012-10-17", "Statement": <statement>}`.
fn v12(statement: &str) -> String {
    format!(r#"{{"Version": "2012-10-17", "Statement": {statement}}}"#)
}

fn rejected(cases: &[(u32, String, &str)]) {
    let mut failures = Vec::new();
    for (number, document, expected) in cases {
        match validate(document, PolicyKind::Managed) {
            Ok(_) => failures.push(format!("#{number}: accepted, AWS says {expected:?}")),
            Err(error) if error.message() != *expected => failures.push(format!(
                "#{number}: said {:?}, AWS says {expected:?}",
                error.message()
            )),
            Err(_) => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn invalid_documents_get_aws_messages() {
    const BUCKET: &str = r#""Resource": "arn:aws:s3:::example_bucket""#;
    let cases: Vec<(u32, String, &str)> = vec![
        (0, "This is not a json document".into(), SYNTAX),
        (
            1,
            format!(
                r#"{{"Statement": {{"Effect": "Allow", "Action": "s3:ListBucket", {BUCKET}}}}}"#
            ),
            VERSION,
        ),
        (
            2,
            format!(
                r#"{{"Version": "2008-10-17", "Statement": {{"Effect": "Allow", "Action": "s3:ListBucket", {BUCKET}}}}}"#
            ),
            VERSION,
        ),
        (
            3,
            format!(
                r#"{{"Version": "2013-10-17", "Statement": {{"Effect": "Allow", "Action": "s3:ListBucket", {BUCKET}}}}}"#
            ),
            SYNTAX,
        ),
        (4, r#"{"Version": "2012-10-17"}"#.into(), SYNTAX),
        (5, v12(r#"["afd"]"#), SYNTAX),
        (
            6,
            format!(
                r#"{{"Version": "2012-10-17", "Statement": {{"Effect": "Allow", "Action": "s3:ListBucket", {BUCKET}}}, "Extra field": "value"}}"#
            ),
            SYNTAX,
        ),
        (
            7,
            v12(&format!(
                r#"{{"Effect": "Allow", "Action": "s3:ListBucket", {BUCKET}, "Extra field": "value"}}"#
            )),
            SYNTAX,
        ),
        (
            8,
            format!(
                r#"{{"Version": "2012-10-17", "Id": ["cd3a324d2343d942772346-34234234423404-4c2242343242349d1642ee"], "Statement": {{"Effect": "Allow", "Action": "s3:ListBucket", {BUCKET}}}}}"#
            ),
            SYNTAX,
        ),
        (
            9,
            format!(
                r#"{{"Version": "2012-10-17", "Id": {{}}, "Statement": {{"Effect": "Allow", "Action": "s3:ListBucket", {BUCKET}}}}}"#
            ),
            SYNTAX,
        ),
        (
            10,
            v12(&format!(
                r#"{{"Effect": "invalid", "Action": "s3:ListBucket", {BUCKET}}}"#
            )),
            SYNTAX,
        ),
        (
            11,
            v12(&format!(
                r#"{{"Effect": "Allow", "Action": "invalid", {BUCKET}}}"#
            )),
            NO_VENDOR,
        ),
        (
            12,
            v12(&format!(
                r#"{{"Effect": "Allow", "NotAction": "", {BUCKET}}}"#
            )),
            NO_VENDOR,
        ),
        (
            13,
            v12(&format!(
                r#"{{"Effect": "Allow", "Action": "a a:ListBucket", {BUCKET}}}"#
            )),
            "Vendor a a is not valid",
        ),
        (
            14,
            v12(&format!(
                r#"{{"Effect": "Allow", "Action": "s3:List:Bucket", {BUCKET}}}"#
            )),
            COLONS,
        ),
        (
            15,
            v12(&format!(
                r#"[{{"Effect": "Allow", "Action": "s3s:ListBucket", {BUCKET}}}, {{"Effect": "Allow", "Action": "s:3s:ListBucket", {BUCKET}}}]"#
            )),
            COLONS,
        ),
        (
            16,
            v12(
                r#"{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "invalid resource"}"#,
            ),
            r#"Resource invalid resource must be in ARN format or "*"."#,
        ),
        (
            17,
            v12(
                r#"[{"Sid": "EnableDisableHongKong", "Effect": "Allow", "Action": ["account:EnableRegion", "account:DisableRegion"], "Resource": "", "Condition": {"StringEquals": {"account:TargetRegion": "ap-east-1"}}}, {"Sid": "ViewConsole", "Effect": "Allow", "Action": ["aws-portal:ViewAccount", "account:ListRegions"], "Resource": ""}]"#,
            ),
            r#"Resource  must be in ARN format or "*"."#,
        ),
        (
            18,
            v12(r#"{"Effect": "Allow", "Action": "s:3:ListBucket", "Resource": "sdfsadf"}"#),
            r#"Resource sdfsadf must be in ARN format or "*"."#,
        ),
        (
            19,
            v12(r#"{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": ["adf"]}"#),
            r#"Resource adf must be in ARN format or "*"."#,
        ),
        (
            20,
            v12(r#"{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": ""}"#),
            r#"Resource  must be in ARN format or "*"."#,
        ),
        (
            21,
            v12(
                r#"{"Effect": "Allow", "NotAction": "s3s:ListBucket", "Resource": "a:bsdfdsafsad"}"#,
            ),
            r#"Partition "bsdfdsafsad" is not valid for resource "arn:bsdfdsafsad:*:*:*:*"."#,
        ),
        (
            22,
            v12(r#"{"Effect": "Allow", "NotAction": "s3s:ListBucket", "Resource": "a:b:cadfsdf"}"#),
            r#"Partition "b" is not valid for resource "arn:b:cadfsdf:*:*:*"."#,
        ),
        (
            23,
            v12(
                r#"{"Effect": "Allow", "NotAction": "s3s:ListBucket", "Resource": "a:b:c:d:e:f:g:h"}"#,
            ),
            r#"Partition "b" is not valid for resource "arn:b:c:d:e:f:g:h"."#,
        ),
        (
            24,
            v12(
                r#"{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "aws:s3:::example_bucket"}"#,
            ),
            r#"Partition "s3" is not valid for resource "arn:s3:::example_bucket:*"."#,
        ),
        (
            25,
            v12(
                r#"{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": ["arn:error:s3:::example_bucket", "arn:error:s3::example_bucket"]}"#,
            ),
            r#"Partition "error" is not valid for resource "arn:error:s3:::example_bucket"."#,
        ),
        (26, v12("[]"), SYNTAX),
        (
            27,
            v12(r#"{"Effect": "Allow", "Action": "s3:ListBucket"}"#),
            RESOURCES,
        ),
        (
            28,
            v12(r#"{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": []}"#),
            RESOURCES,
        ),
        (
            29,
            v12(r#"{"Effect": "Allow", "Action": "invalid"}"#),
            RESOURCES,
        ),
        (
            30,
            v12(&format!(r#"{{"Effect": "Allow", {BUCKET}}}"#)),
            ACTIONS,
        ),
        (
            31,
            v12(&format!(r#"{{"Action": "s3:ListBucket", {BUCKET}}}"#)),
            SYNTAX,
        ),
        (32, v12(r#"{"Effect": "Allow"}"#), ACTIONS),
        (
            33,
            v12(&format!(r#"{{"Effect": "Allow", "Action": [], {BUCKET}}}"#)),
            ACTIONS,
        ),
        (
            34,
            v12(&format!(
                r#"[{{"Effect": "Deny"}}, {{"Effect": "Allow", "Action": "s3:ListBucket", {BUCKET}}}]"#
            )),
            ACTIONS,
        ),
        (
            35,
            v12(
                r#"{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:iam:::example_bucket"}"#,
            ),
            r#"IAM resource path must either be "*", root, or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/."#,
        ),
        (
            36,
            v12(
                r#"{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3::example_bucket"}"#,
            ),
            LEGACY,
        ),
        (
            37,
            v12(r#"{"Effect": "Allow", "Resource": "arn:aws:s3::example_bucket"}"#),
            LEGACY,
        ),
        (
            38,
            v12(r#"{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws"}"#),
            "Resource vendor must be fully qualified and cannot contain regexes.",
        ),
        (
            39,
            v12(
                r#"{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": {"a": "arn:aws:s3:::example_bucket"}}"#,
            ),
            SYNTAX,
        ),
        (
            40,
            v12(r#"{"Effect": "Deny", "Action": "s3:ListBucket", "Resource": ["adfdf", {}]}"#),
            SYNTAX,
        ),
        (
            41,
            v12(&format!(
                r#"{{"Effect": "Allow", "NotAction": "s3:ListBucket", {BUCKET}, "NotResource": []}}"#
            )),
            SYNTAX,
        ),
        (
            42,
            v12(&format!(
                r#"{{"Effect": "Deny", "Action": [[]], {BUCKET}}}"#
            )),
            SYNTAX,
        ),
        (
            43,
            v12(&format!(
                r#"{{"Effect": "Allow", "NotAction": "s3s:ListBucket", "Action": [], {BUCKET}}}"#
            )),
            SYNTAX,
        ),
        (
            44,
            v12(&format!(
                r#"{{"Effect": "Allow", "Action": {{}}, {BUCKET}}}"#
            )),
            SYNTAX,
        ),
        (
            45,
            v12(&format!(
                r#"{{"Effect": "Allow", "Action": "s3:ListBucket", {BUCKET}, "Condition": []}}"#
            )),
            SYNTAX,
        ),
        (
            46,
            v12(&format!(
                r#"{{"Effect": "Allow", "Action": "s3:ListBucket", {BUCKET}, "Condition": "a"}}"#
            )),
            SYNTAX,
        ),
        (
            47,
            v12(&format!(
                r#"{{"Effect": "Allow", "Action": "s3:ListBucket", {BUCKET}, "Condition": {{"a": "b"}}}}"#
            )),
            SYNTAX,
        ),
        (
            48,
            v12(&format!(
                r#"{{"Effect": "Allow", "Action": "s3:ListBucket", {BUCKET}, "Condition": {{"DateGreaterThan": "b"}}}}"#
            )),
            SYNTAX,
        ),
        (
            49,
            v12(&format!(
                r#"{{"Effect": "Allow", "Action": "s3:ListBucket", {BUCKET}, "Condition": {{"DateGreaterThan": []}}}}"#
            )),
            SYNTAX,
        ),
        (
            50,
            v12(&format!(
                r#"{{"Effect": "Allow", "Action": "s3:ListBucket", {BUCKET}, "Condition": {{"DateGreaterThan": {{"a": {{}}}}}}}}"#
            )),
            SYNTAX,
        ),
        (
            51,
            v12(&format!(
                r#"{{"Effect": "Allow", {BUCKET}, "Condition": {{"DateGreaterThan": {{"a": {{}}}}}}}}"#
            )),
            SYNTAX,
        ),
        (
            52,
            v12(&format!(
                r#"{{"Effect": "Allow", "Action": "s3:ListBucket", {BUCKET}, "Condition": {{"x": {{"a": "1"}}}}}}"#
            )),
            SYNTAX,
        ),
        (
            53,
            v12(&format!(
                r#"{{"Effect": "Allow", "Action": "s3:ListBucket", {BUCKET}, "Condition": {{"ForAnyValue::StringEqualsIfExists": {{"a": "asf"}}}}}}"#
            )),
            SYNTAX,
        ),
        (
            54,
            v12(&format!(
                r#"{{"Effect": "Allow", "Action": "s3:ListBucket", {BUCKET}, "Condition": [{{"ForAllValues:StringEquals": {{"aws:TagKeys": "Department"}}}}]}}"#
            )),
            SYNTAX,
        ),
        (
            55,
            v12(
                r#"{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:iam:us-east-1::example_bucket"}"#,
            ),
            "IAM resource arn:aws:iam:us-east-1::example_bucket cannot contain region information.",
        ),
        (
            56,
            v12(
                r#"{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:us-east-1::example_bucket"}"#,
            ),
            "Resource arn:aws:s3:us-east-1::example_bucket can not contain region information.",
        ),
        (
            57,
            v12(&format!(
                r#"{{"Sid": {{}}, "Effect": "Allow", "Action": "s3:ListBucket", {BUCKET}}}"#
            )),
            SYNTAX,
        ),
        (
            58,
            v12(&format!(
                r#"{{"Sid": [], "Effect": "Allow", "Action": "s3:ListBucket", {BUCKET}}}"#
            )),
            SYNTAX,
        ),
        (
            59,
            v12(&format!(
                r#"[{{"Sid": "sdf", "Effect": "Allow", "Action": "s3:ListBucket", {BUCKET}}}, {{"Sid": "sdf", "Effect": "Allow"}}]"#
            )),
            "Statement IDs (SID) in a single policy must be unique.",
        ),
        (
            60,
            format!(
                r#"{{"Statement": [{{"Sid": "sdf", "Effect": "Allow", "Action": "s3:ListBucket", {BUCKET}}}, {{"Sid": "sdf", "Effect": "Allow"}}]}}"#
            ),
            VERSION,
        ),
        (
            61,
            v12(&format!(
                r#"{{"Effect": "Allow", "NotAction": "s3:ListBucket", "Action": "iam:dsf", {BUCKET}}}"#
            )),
            SYNTAX,
        ),
        (
            62,
            v12(&format!(
                r#"{{"Effect": "Allow", "Action": "s3:ListBucket", {BUCKET}, "NotResource": "*"}}"#
            )),
            SYNTAX,
        ),
        (
            63,
            v12(&format!(
                r#"{{"Effect": "denY", "Action": "s3:ListBucket", {BUCKET}}}"#
            )),
            LEGACY,
        ),
        (
            64,
            v12(&format!(
                r#"{{"Effect": "Allow", "Action": "s3:ListBucket", {BUCKET}, "Condition": {{"DateGreaterThan": {{"a": "sdfdsf"}}}}}}"#
            )),
            LEGACY,
        ),
        (
            65,
            format!(
                r#"{{"Statement": {{"Effect": "Allow", "Action": "s3:ListBucket", {BUCKET}, "Condition": {{"DateGreaterThan": {{"a": "sdfdsf"}}}}}}}}"#
            ),
            VERSION,
        ),
        (
            66,
            format!(
                r#"{{"Statement": {{"Effect": "denY", "Action": "s3:ListBucket", {BUCKET}}}}}"#
            ),
            VERSION,
        ),
        (
            67,
            v12(r#"{"Effect": "Allow", "Condition": {"DateGreaterThan": {"a": "sdfdsf"}}}"#),
            LEGACY,
        ),
        (
            68,
            v12(
                r#"{"Effect": "Allow", "NotAction": "s3:ListBucket", "Resource": "arn:aws::::example_bucket"}"#,
            ),
            LEGACY,
        ),
        (
            69,
            v12(r#"{"Effect": "allow", "Resource": "arn:aws:s3:us-east-1::example_bucket"}"#),
            LEGACY,
        ),
        (
            70,
            v12(&format!(
                r#"[{{"Sid": "sdf", "Effect": "aLLow", "Action": "s3:ListBucket", {BUCKET}}}, {{"Sid": "sdf", "Effect": "Allow"}}]"#
            )),
            LEGACY,
        ),
        (
            71,
            v12(
                r#"{"Effect": "Allow", "Action": "s3:ListBucket", "NotResource": "arn:aws:s3::example_bucket"}"#,
            ),
            LEGACY,
        ),
        (
            72,
            v12(&format!(
                r#"{{"Effect": "Allow", "Action": "s3:ListBucket", {BUCKET}, "Condition": {{"DateLessThanEquals": {{"a": "234-13"}}}}}}"#
            )),
            LEGACY,
        ),
        (
            73,
            v12(&format!(
                r#"{{"Effect": "Allow", "Action": "s3:ListBucket", {BUCKET}, "Condition": {{"DateLessThanEquals": {{"a": "2016-12-13t2:00:00.593194+1"}}}}}}"#
            )),
            LEGACY,
        ),
        (
            74,
            v12(&format!(
                r#"{{"Effect": "Allow", "Action": "s3:ListBucket", {BUCKET}, "Condition": {{"DateLessThanEquals": {{"a": "2016-12-13t2:00:00.1999999999+10:59"}}}}}}"#
            )),
            LEGACY,
        ),
        (
            75,
            v12(&format!(
                r#"{{"Effect": "Allow", "Action": "s3:ListBucket", {BUCKET}, "Condition": {{"DateLessThan": {{"a": "9223372036854775808"}}}}}}"#
            )),
            LEGACY,
        ),
        (
            76,
            v12(
                r#"{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:error:s3:::example_bucket", "Condition": {"DateGreaterThan": {"a": "sdfdsf"}}}"#,
            ),
            LEGACY,
        ),
        (
            77,
            v12(r#"{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws::fdsasf"}"#),
            LEGACY,
        ),
    ];
    assert_eq!(cases.len(), 78);
    rejected(&cases);
}

#[test]
fn valid_documents_are_accepted() {
    let statements = [
        r#"{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": ["arn:aws:s3:::example_bucket"]}"#,
        r#"{"Effect": "Allow", "Action": "iam: asdf safdsf af ", "Resource": "arn:aws:s3:::example_bucket"}"#,
        r#"{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": ["arn:aws:s3:::example_bucket", "*"]}"#,
        r#"{"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::example_bucket"}"#,
        r#"[{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::example_bucket"}]"#,
        r#"{"Effect": "Allow", "Action": "service-prefix:action-name", "Resource": "*", "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2017-07-01T00:00:00Z"}, "DateLessThan": {"aws:CurrentTime": "2017-12-31T23:59:59Z"}}}"#,
        r#"{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:iam:::user/example_bucket"}"#,
        r#"{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s33:::example_bucket"}"#,
        r#"{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:fdsasf"}"#,
        r#"{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::example_bucket", "Condition": {}}"#,
        r#"{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::example_bucket", "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": "Department"}}}"#,
        r#"{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:cloudwatch:us-east-1::example_bucket"}"#,
        r#"{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:invalid-service:us-east-1::example_bucket"}"#,
        r#"{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::example_bucket", "Condition": {"DateGreaterThan": {}}}"#,
        r#"{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::example_bucket", "Condition": {"DateGreaterThan": {"a": []}}}"#,
        r#"{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::example_bucket", "Condition": {"a": {}}}"#,
        r#"{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::example_bucket", "Condition": {"x": {}, "y": {}}}"#,
        r#"{"Effect": "Deny", "Action": "s3:*", "NotResource": ["arn:aws:s3:::HRBucket/Payroll", "arn:aws:s3:::HRBucket/Payroll/*"]}"#,
        r#"{"Effect": "Allow", "Action": "aaaaaadsfdsafsadfsadfaaaaa:ListBucket", "Resource": "arn:aws:s3:::example_bucket"}"#,
        r#"{"Effect": "Allow", "Action": "s3-s:ListBucket", "Resource": "arn:aws:s3:::example_bucket"}"#,
        r#"{"Effect": "Allow", "Action": "s3.s:ListBucket", "Resource": "arn:aws:s3:::example_bucket"}"#,
        r#"{"Effect": "Allow", "NotAction": "s3:ListBucket", "NotResource": "*"}"#,
        r#"[{"Sid": "sdf", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::example_bucket"}, {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::example_bucket"}]"#,
        r#"{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::example_bucket", "Condition": {"DateGreaterThan": {"a": "01T"}}}"#,
        r#"{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::example_bucket", "Condition": {"StringEqualsIfExists": {"a": "asf"}}}"#,
        r#"{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::example_bucket", "Condition": {"ForAnyValue:StringEqualsIfExists": {"a": "asf"}}}"#,
        r#"{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::example_bucket", "Condition": {"DateLessThanEquals": {"a": "2016-12-13T21:20:37.593194+00:00"}}}"#,
        r#"{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::example_bucket", "Condition": {"DateLessThanEquals": {"a": "2016-12-13t2:00:00.593194+23"}}}"#,
        r#"{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::example_bucket", "Condition": {"DateLessThan": {"a": "-292275054"}}}"#,
        r#"[{"Sid": "", "Effect": "Allow", "Action": "rds:*", "Resource": ["arn:aws:rds:region:*:*"]}, {"Sid": "", "Effect": "Allow", "Action": ["rds:Describe*"], "Resource": ["*"]}]"#,
        r#"[{"Sid": "", "Effect": "Allow", "Action": ["s3:*"], "Resource": ["arn:aws:s3:us-west-2:123456789012:accesspoint/my-access-point", "arn:aws:s3:us-west-2:123456789012:accesspoint/my-access-point/object/*"]}]"#,
    ];
    let mut failures = Vec::new();
    for (index, statement) in statements.iter().enumerate() {
        let document = v12(statement);
        if let Err(error) = validate(&document, PolicyKind::Managed) {
            failures.push(format!(
                "#{index} rejected with {:?}: {document}",
                error.message()
            ));
        }
    }
    let with_id = r#"{"Version": "2012-10-17", "Id": "sdfsdfsdf", "Statement": {"Effect": "Allow", "NotAction": "s3:ListBucket", "Resource": "arn:aws:s3:::example_bucket"}}"#;
    if let Err(error) = validate(with_id, PolicyKind::Managed) {
        failures.push(format!("Id rejected with {:?}", error.message()));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
