//! Example policies from the AWS IAM User Guide ("Example IAM identity-based
//! policies", "IAM role trust policies", "IAM JSON policy element reference"),
//! each validated as the kind of policy the guide presents it as, and each
//! rejected as a kind it cannot be.

use ironiam_policy::{findings, validate, PolicyKind, Severity};

/// Identity-based policy examples.
const IDENTITY_EXAMPLES: &[(&str, &str)] = &[
    (
        "DynamoDB: allows access to a specific table",
        r#"{
          "Version": "2012-10-17",
          "Statement": [
            {"Sid": "ListAndDescribe", "Effect": "Allow",
             "Action": ["dynamodb:List*", "dynamodb:DescribeReservedCapacity*", "dynamodb:DescribeLimits", "dynamodb:DescribeTimeToLive"],
             "Resource": "*"},
            {"Sid": "SpecificTable", "Effect": "Allow",
             "Action": ["dynamodb:BatchGet*", "dynamodb:DescribeStream", "dynamodb:DescribeTable", "dynamodb:Get*", "dynamodb:Query", "dynamodb:Scan", "dynamodb:BatchWrite*", "dynamodb:CreateTable", "dynamodb:Delete*", "dynamodb:Update*", "dynamodb:PutItem"],
             "Resource": "arn:aws:dynamodb:*:*:table/MyTable"}
          ]
        }"#,
    ),
    (
        "IAM: allows IAM users to change their own password",
        r#"{
          "Version": "2012-10-17",
          "Statement": [
            {"Effect": "Allow", "Action": ["iam:ChangePassword", "iam:GetUser"],
             "Resource": "arn:aws:iam::*:user/${aws:username}"},
            {"Effect": "Allow", "Action": "iam:GetAccountPasswordPolicy", "Resource": "*"}
          ]
        }"#,
    ),
    (
        "AWS: allows MFA-authenticated IAM users to manage their own MFA device",
        r#"{
          "Version": "2012-10-17",
          "Statement": [
            {"Sid": "AllowManageOwnVirtualMFADevice", "Effect": "Allow",
             "Action": ["iam:CreateVirtualMFADevice"],
             "Resource": "arn:aws:iam::*:mfa/*"},
            {"Sid": "AllowManageOwnUserMFA", "Effect": "Allow",
             "Action": ["iam:DeactivateMFADevice", "iam:EnableMFADevice", "iam:GetUser", "iam:ListMFADevices", "iam:ResyncMFADevice"],
             "Resource": "arn:aws:iam::*:user/${aws:username}"},
            {"Sid": "DenyAllExceptListedIfNoMFA", "Effect": "Deny",
             "NotAction": ["iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "iam:GetUser", "iam:ListMFADevices", "iam:ListVirtualMFADevices", "iam:ResyncMFADevice", "sts:GetSessionToken"],
             "Resource": "*",
             "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}
          ]
        }"#,
    ),
    (
        "S3: allows read and write access to objects in a bucket",
        r#"{
          "Version": "2012-10-17",
          "Statement": [
            {"Sid": "ListObjectsInBucket", "Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": ["arn:aws:s3:::bucket-name"]},
            {"Sid": "AllObjectActions", "Effect": "Allow", "Action": "s3:*Object", "Resource": ["arn:aws:s3:::bucket-name/*"]}
          ]
        }"#,
    ),
    (
        "S3: home directory with policy variables",
        r#"{
          "Version": "2012-10-17",
          "Statement": [
            {"Effect": "Allow", "Action": ["s3:ListAllMyBuckets", "s3:GetBucketLocation"], "Resource": "*"},
            {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::bucket-name",
             "Condition": {"StringLike": {"s3:prefix": ["", "home/", "home/${aws:userid}/*"]}}},
            {"Effect": "Allow", "Action": "s3:*",
             "Resource": ["arn:aws:s3:::bucket-name/home/${aws:userid}", "arn:aws:s3:::bucket-name/home/${aws:userid}/*"]}
          ]
        }"#,
    ),
    (
        "AWS: denies access to AWS based on the source IP",
        r#"{
          "Version": "2012-10-17",
          "Statement": {
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {
              "NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24", "203.0.113.0/24"]},
              "Bool": {"aws:ViaAWSService": "false"}
            }
          }
        }"#,
    ),
    (
        "AWS: allows access within specific dates",
        r#"{
          "Version": "2012-10-17",
          "Statement": [
            {"Effect": "Allow", "Action": "service-prefix:action-name", "Resource": "*",
             "Condition": {
               "DateGreaterThan": {"aws:CurrentTime": "2020-04-01T00:00:00Z"},
               "DateLessThan": {"aws:CurrentTime": "2020-06-30T23:59:59Z"}
             }}
          ]
        }"#,
    ),
    (
        "AWS: denies access to AWS based on the requested Region",
        r#"{
          "Version": "2012-10-17",
          "Statement": [
            {"Sid": "DenyAllOutsideRequestedRegions", "Effect": "Deny",
             "NotAction": ["cloudfront:*", "iam:*", "route53:*", "support:*"],
             "Resource": "*",
             "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-central-1", "eu-west-1"]}}}
          ]
        }"#,
    ),
    (
        "EC2: attach or detach volumes to an instance",
        r#"{
          "Version": "2012-10-17",
          "Statement": [
            {"Effect": "Allow", "Action": ["ec2:AttachVolume", "ec2:DetachVolume"],
             "Resource": ["arn:aws:ec2:*:*:volume/*", "arn:aws:ec2:*:*:instance/*"],
             "Condition": {"ArnEquals": {"ec2:SourceInstanceARN": "arn:aws:ec2:*:*:instance/instance-id"}}}
          ]
        }"#,
    ),
    (
        "EC2: start or stop instances based on matching principal and resource tags",
        r#"{
          "Version": "2012-10-17",
          "Statement": [
            {"Effect": "Allow", "Action": ["ec2:StartInstances", "ec2:StopInstances"], "Resource": "*",
             "Condition": {"StringEquals": {"aws:ResourceTag/CostCenter": "${aws:PrincipalTag/CostCenter}"}}},
            {"Effect": "Allow", "Action": "ec2:DescribeInstances", "Resource": "*"}
          ]
        }"#,
    ),
    (
        "IAM: tag users and roles with a limited set of tag keys",
        r#"{
          "Version": "2012-10-17",
          "Statement": [
            {"Sid": "AddTag", "Effect": "Allow", "Action": ["iam:TagUser", "iam:TagRole"], "Resource": "*",
             "Condition": {
               "StringEquals": {"aws:RequestTag/CostCenter": ["A-123", "B-456"]},
               "ForAllValues:StringEquals": {"aws:TagKeys": "CostCenter"}
             }}
          ]
        }"#,
    ),
    (
        "S3: limit the number of keys listed (numeric condition value)",
        r#"{
          "Version": "2012-10-17",
          "Statement": {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::amzn-s3-demo-bucket",
                        "Condition": {"NumericLessThanEquals": {"s3:max-keys": 10}}}
        }"#,
    ),
    (
        "AWS: deny requests made with temporary credentials older than a day (Null operator)",
        r#"{
          "Version": "2012-10-17",
          "Statement": [
            {"Effect": "Deny", "Action": "*", "Resource": "*",
             "Condition": {"Null": {"aws:TokenIssueTime": "false"},
                           "DateLessThan": {"aws:TokenIssueTime": "2024-01-01T00:00:00Z"}}}
          ]
        }"#,
    ),
    (
        "Version 2008-10-17 is still accepted inline",
        r#"{
          "Version": "2008-10-17",
          "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"}]
        }"#,
    ),
];

/// Role trust policy examples.
const TRUST_EXAMPLES: &[(&str, &str)] = &[
    (
        "Cross-account access with MFA",
        r#"{
          "Version": "2012-10-17",
          "Statement": {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": "sts:AssumeRole",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
          }
        }"#,
    ),
    (
        "EC2 service role",
        r#"{
          "Version": "2012-10-17",
          "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]
        }"#,
    ),
    (
        "Lambda service role with session tags",
        r#"{
          "Version": "2012-10-17",
          "Statement": [{"Effect": "Allow", "Principal": {"Service": ["lambda.amazonaws.com"]}, "Action": ["sts:AssumeRole", "sts:TagSession"]}]
        }"#,
    ),
    (
        "ECS task role with confused-deputy protection",
        r#"{
          "Version": "2012-10-17",
          "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "ecs-tasks.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {
              "ArnLike": {"aws:SourceArn": "arn:aws:ecs:us-west-2:111122223333:*"},
              "StringEquals": {"aws:SourceAccount": "111122223333"}
            }
          }]
        }"#,
    ),
    (
        "SAML 2.0 federation",
        r#"{
          "Version": "2012-10-17",
          "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": "arn:aws:iam::111122223333:saml-provider/ExampleOrgSSOProvider"},
            "Action": "sts:AssumeRoleWithSAML",
            "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}
          }]
        }"#,
    ),
    (
        "GitHub Actions OIDC",
        r#"{
          "Version": "2012-10-17",
          "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
              "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
              "StringLike": {"token.actions.githubusercontent.com:sub": "repo:octo-org/octo-repo:*"}
            }
          }]
        }"#,
    ),
    (
        "Amazon Cognito identity pool",
        r#"{
          "Version": "2012-10-17",
          "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": "cognito-identity.amazonaws.com"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
              "StringEquals": {"cognito-identity.amazonaws.com:aud": "us-east-2:12345678-abcd-abcd-abcd-123456790ab"},
              "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"}
            }
          }]
        }"#,
    ),
    (
        "Several AWS principals, account id and ARNs",
        r#"{
          "Version": "2012-10-17",
          "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": ["123456789012", "arn:aws:iam::111122223333:user/alice", "arn:aws:iam::111122223333:role/Admin"]},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": "Unique ID Assigned by Example Corp"}}
          }]
        }"#,
    ),
];

/// Resource-based policy examples (S3 bucket policies).
const RESOURCE_EXAMPLES: &[(&str, &str)] = &[
    (
        "S3: deny requests that do not use TLS",
        r#"{
          "Version": "2012-10-17",
          "Statement": [{
            "Sid": "RestrictToTLSRequestsOnly",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": ["arn:aws:s3:::amzn-s3-demo-bucket", "arn:aws:s3:::amzn-s3-demo-bucket/*"],
            "Condition": {"Bool": {"aws:SecureTransport": false}}
          }]
        }"#,
    ),
    (
        "S3: grant cross-account permissions",
        r#"{
          "Version": "2012-10-17",
          "Id": "CrossAccount",
          "Statement": [{
            "Sid": "Example-permissions",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*"
          }]
        }"#,
    ),
];

fn assert_no_errors(kind: PolicyKind, name: &str, document: &str) {
    if let Err(error) = validate(document, kind) {
        panic!("{name}: rejected as {kind:?} with {:?}", error.message());
    }
    let errors: Vec<_> = findings(document, kind)
        .into_iter()
        .filter(|finding| finding.severity == Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{name}: {errors:?}");
}

#[test]
fn identity_examples() {
    for (name, document) in IDENTITY_EXAMPLES {
        assert_no_errors(PolicyKind::Identity, name, document);
        assert_no_errors(PolicyKind::Session, name, document);
        let managed = validate(document, PolicyKind::Managed);
        if document.contains("2008-10-17") {
            assert!(managed.is_err(), "{name}");
        } else {
            assert_no_errors(PolicyKind::Managed, name, document);
            assert_no_errors(PolicyKind::PermissionsBoundary, name, document);
        }
        // Not a trust policy: it has resources and no principal.
        let error = validate(document, PolicyKind::Trust).unwrap_err();
        assert_eq!(error.message(), "Has prohibited field Resource", "{name}");
    }
}

#[test]
fn trust_examples() {
    for (name, document) in TRUST_EXAMPLES {
        assert_no_errors(PolicyKind::Trust, name, document);
        let error = validate(document, PolicyKind::Identity).unwrap_err();
        assert_eq!(
            error.message(),
            "Policy document should not specify a principal.",
            "{name}"
        );
    }
}

#[test]
fn resource_examples() {
    for (name, document) in RESOURCE_EXAMPLES {
        assert_no_errors(PolicyKind::ResourceBased, name, document);
        let error = validate(document, PolicyKind::Managed).unwrap_err();
        assert!(
            error.message() == "Policy document should not specify a principal."
                || error
                    .message()
                    .starts_with("Statement IDs (SID) must be alpha-numeric"),
            "{name}: {}",
            error.message()
        );
    }
}
