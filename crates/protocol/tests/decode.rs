//! Decoding and validation, request bytes in, `Input` or AWS error out.

use ironiam_protocol::model::{Member, Pattern, Shape, ShapeKind};
use ironiam_protocol::{
    decode_input, parse_form, resolve_operation, Input, OperationDef, QueryError, Service, Value,
};

fn request(service: Service, body: &str) -> Result<Input, QueryError> {
    let params = parse_form(body.as_bytes())?;
    let op = resolve_operation(Some(service), &params)?;
    decode_input(op, &params)
}

fn iam(body: &str) -> Result<Input, QueryError> {
    request(Service::Iam, body)
}

fn message(result: Result<Input, QueryError>) -> String {
    let err = result.expect_err("expected an error");
    err.message()
}

fn validation(result: Result<Input, QueryError>) -> String {
    let err = result.expect_err("expected a validation error");
    assert_eq!(err.code(), "ValidationError", "{err:?}");
    assert_eq!(err.status(), 400);
    assert!(err.is_sender_fault());
    err.message()
}

const POLICY: &str = "%7B%22Version%22%3A%222012-10-17%22%7D";

#[test]
fn create_role_with_everything() {
    let input = iam(&format!(
        "Action=CreateRole&Version=2010-05-08&RoleName=my-role&Path=%2Fsvc%2F\
         &AssumeRolePolicyDocument={POLICY}&MaxSessionDuration=7200&Description=d+e\
         &Tags.member.1.Key=team&Tags.member.1.Value=core\
         &Tags.member.2.Key=env&Tags.member.2.Value="
    ))
    .unwrap();
    assert_eq!(input.str("RoleName"), Some("my-role"));
    assert_eq!(input.str("Path"), Some("/svc/"));
    assert_eq!(
        input.str("AssumeRolePolicyDocument"),
        Some(r#"{"Version":"2012-10-17"}"#)
    );
    assert_eq!(input.str("Description"), Some("d e"));
    assert_eq!(input.int("MaxSessionDuration"), Some(7200));
    assert_eq!(input.str("PermissionsBoundary"), None);
    let tags: Vec<_> = input
        .structures("Tags")
        .map(|t| (t.str("Key").unwrap(), t.str("Value").unwrap()))
        .collect();
    assert_eq!(tags, [("team", "core"), ("env", "")]);
    // Present members come back in model order.
    let names: Vec<_> = input.iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "Path",
            "RoleName",
            "AssumeRolePolicyDocument",
            "Description",
            "MaxSessionDuration",
            "Tags"
        ]
    );
}

#[test]
fn missing_required_members_in_model_order() {
    assert_eq!(
        validation(iam("Action=CreateRole")),
        "2 validation errors detected: \
         Value null at 'roleName' failed to satisfy constraint: Member must not be null; \
         Value null at 'assumeRolePolicyDocument' failed to satisfy constraint: Member must not be null"
    );
}

#[test]
fn pattern_message_quotes_the_model_pattern() {
    assert_eq!(
        validation(iam("Action=GetRole&RoleName=my+role")),
        r"1 validation error detected: Value 'my role' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+"
    );
}

#[test]
fn length_messages() {
    let long = "a".repeat(65);
    assert_eq!(
        validation(iam(&format!("Action=GetRole&RoleName={long}"))),
        format!(
            "1 validation error detected: Value '{long}' at 'roleName' failed to satisfy constraint: \
             Member must have length less than or equal to 64"
        )
    );
    // Pattern before length for the same member, as AWS reported for an empty roleArn.
    assert_eq!(
        validation(iam("Action=GetRole&RoleName=")),
        r"2 validation errors detected: Value '' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+; Value '' at 'roleName' failed to satisfy constraint: Member must have length greater than or equal to 1"
    );
    // STS, the real-world example: an empty RoleArn.
    let msg = validation(request(
        Service::Sts,
        "Action=AssumeRole&RoleArn=&RoleSessionName=ss",
    ));
    assert_eq!(
        msg,
        r"2 validation errors detected: Value '' at 'roleArn' failed to satisfy constraint: Member must satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]+; Value '' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20"
    );
}

#[test]
fn length_counts_code_points() {
    // 64 two-byte characters: 128 bytes but 64 code points, within roleDescriptionType's
    // 1000 and, for the name test, within 64.
    let name = "é".repeat(64);
    let err = validation(iam(&format!("Action=GetRole&RoleName={name}")));
    assert!(err.starts_with("1 validation error detected:"), "{err}");
    assert!(
        err.contains("regular expression"),
        "only the pattern fails: {err}"
    );
}

#[test]
fn range_messages_quote_numbers() {
    assert_eq!(
        validation(iam(&format!(
            "Action=CreateRole&RoleName=r&AssumeRolePolicyDocument={POLICY}&MaxSessionDuration=60"
        ))),
        "1 validation error detected: Value '60' at 'maxSessionDuration' failed to satisfy constraint: \
         Member must have value greater than or equal to 3600"
    );
    assert_eq!(
        validation(iam("Action=ListRoles&MaxItems=0")),
        "1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: \
         Member must have value greater than or equal to 1"
    );
    assert_eq!(
        validation(iam("Action=ListRoles&MaxItems=1001")),
        "1 validation error detected: Value '1001' at 'maxItems' failed to satisfy constraint: \
         Member must have value less than or equal to 1000"
    );
}

#[test]
fn enum_message() {
    // The set is listed in model order.
    assert_eq!(
        validation(iam("Action=ListPolicies&Scope=Mine")),
        "1 validation error detected: Value 'Mine' at 'scope' failed to satisfy constraint: \
         Member must satisfy enum value set: [All, AWS, Local]"
    );
    assert_eq!(
        iam("Action=ListPolicies&Scope=Local").unwrap().str("Scope"),
        Some("Local")
    );
}

#[test]
fn nested_paths() {
    assert_eq!(
        validation(iam("Action=TagRole&RoleName=r&Tags.member.1.Key=k")),
        "1 validation error detected: Value null at 'tags.1.member.value' failed to satisfy constraint: \
         Member must not be null"
    );
    assert_eq!(
        validation(iam(
            "Action=TagRole&RoleName=r&Tags.member.1.Key=a%26b&Tags.member.1.Value=v"
        )),
        r"1 validation error detected: Value 'a&b' at 'tags.1.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+"
    );
    // STS's PolicyDescriptorType has a lower-case member, `arn`.
    let input = request(
        Service::Sts,
        "Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fr&RoleSessionName=ss\
         &PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess",
    )
    .unwrap();
    let arns: Vec<_> = input
        .structures("PolicyArns")
        .filter_map(|p| p.str("arn"))
        .collect();
    assert_eq!(arns, ["arn:aws:iam::aws:policy/ReadOnlyAccess"]);
    assert_eq!(
        validation(request(
            Service::Sts,
            "Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fr&RoleSessionName=ss\
             &PolicyArns.member.1.arn=short"
        )),
        "1 validation error detected: Value 'short' at 'policyArns.1.member.arn' failed to satisfy constraint: \
         Member must have length greater than or equal to 20"
    );
}

#[test]
fn list_of_strings() {
    let input = iam(
        "Action=CreateOpenIDConnectProvider&Url=https%3A%2F%2Fexample.com\
         &ClientIDList.member.2=b&ClientIDList.member.1=a",
    )
    .unwrap();
    assert_eq!(
        input.strings("ClientIDList").collect::<Vec<_>>(),
        ["a", "b"]
    );
    assert!(input.list("ThumbprintList").is_empty());
    assert!(!input.contains("ThumbprintList"));
    let err = validation(iam(
        "Action=CreateOpenIDConnectProvider&Url=https%3A%2F%2Fexample.com&ThumbprintList.member.1=abc",
    ));
    assert!(
        err.contains("Value 'abc' at 'thumbprintList.1.member' failed to satisfy constraint: Member must have length greater than or equal to 40"),
        "{err}"
    );
}

#[test]
fn list_length_is_reported_before_elements() {
    let mut body = String::from("Action=TagRole&RoleName=r");
    for i in 1..=51 {
        body.push_str(&format!(
            "&Tags.member.{i}.Key=k{i}&Tags.member.{i}.Value=v"
        ));
    }
    body.push_str("&Tags.member.7.Key=bad%21");
    let err = iam(&body).unwrap_err();
    assert_eq!(
        err.code(),
        "InvalidQueryParameter",
        "Tags.member.7.Key twice"
    );

    let mut body = String::from("Action=TagRole&RoleName=r");
    for i in 1..=51 {
        let key = if i == 7 {
            "bad%21".to_string()
        } else {
            format!("k{i}")
        };
        body.push_str(&format!(
            "&Tags.member.{i}.Key={key}&Tags.member.{i}.Value=v"
        ));
    }
    let msg = validation(iam(&body));
    assert!(
        msg.starts_with("2 validation errors detected: Value '[{Key: k1, Value: v}, "),
        "{msg}"
    );
    let (first, second) = msg.split_once("; ").unwrap();
    assert!(first.ends_with("at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50"), "{first}");
    assert!(
        second.starts_with("Value 'bad!' at 'tags.7.member.key'"),
        "{second}"
    );
}

#[test]
fn empty_list_marker() {
    let input = iam("Action=TagRole&RoleName=r&Tags=").unwrap();
    assert!(input.contains("Tags"));
    assert_eq!(input.list("Tags"), &[] as &[Value]);
    // The marker and elements together: the elements win, in either order.
    for body in [
        "Action=TagRole&RoleName=r&Tags=&Tags.member.1.Key=k&Tags.member.1.Value=v",
        "Action=TagRole&RoleName=r&Tags.member.1.Key=k&Tags.member.1.Value=v&Tags=",
    ] {
        assert_eq!(iam(body).unwrap().list("Tags").len(), 1, "{body}");
    }
    let err = iam("Action=TagRole&RoleName=r&Tags=x").unwrap_err();
    assert_eq!(err.code(), "InvalidQueryParameter");
    assert_eq!(
        err.message(),
        "The parameter Tags is a list, map or structure and cannot take a value"
    );
    let err = iam("Action=TagRole&RoleName=r&Tags.member.1=k").unwrap_err();
    assert_eq!(err.code(), "InvalidQueryParameter");
}

#[test]
fn ill_typed_values() {
    assert_eq!(
        validation(iam("Action=ListRoles&MaxItems=abc")),
        "1 validation error detected: Value 'abc' at 'maxItems' failed to satisfy constraint: Member must be an integer"
    );
    // Out of a 32-bit integer's range.
    assert!(validation(iam("Action=ListRoles&MaxItems=99999999999"))
        .contains("Member must be an integer"));
    assert_eq!(
        validation(iam("Action=UpdateAccountPasswordPolicy&RequireSymbols=maybe")),
        "1 validation error detected: Value 'maybe' at 'requireSymbols' failed to satisfy constraint: \
         Member must be a boolean (true or false)"
    );
    let input =
        iam("Action=UpdateAccountPasswordPolicy&RequireSymbols=true&RequireNumbers=FALSE").unwrap();
    assert_eq!(input.bool("RequireSymbols"), Some(true));
    assert_eq!(input.bool("RequireNumbers"), Some(false));
    assert_eq!(input.bool("RequireUppercaseCharacters"), None);
}

#[test]
fn errors_across_members_keep_model_order() {
    // Sent in reverse order; reported in model order (MaxItems is after PathPrefix... and
    // Marker in ListRolesRequest).
    let msg = validation(iam("Action=ListRoles&MaxItems=0&Marker=&PathPrefix=nope"));
    let at: Vec<_> = msg
        .split("; ")
        .map(|m| m.split(" at '").nth(1).unwrap().split('\'').next().unwrap())
        .collect();
    assert_eq!(at, ["pathPrefix", "marker", "marker", "maxItems"], "{msg}");
}

#[test]
fn sensitive_values_are_not_repeated() {
    let long = "x".repeat(129);
    let msg = validation(iam(&format!(
        "Action=ChangePassword&OldPassword=old&NewPassword={long}"
    )));
    assert_eq!(
        msg,
        "1 validation error detected: Value at 'newPassword' failed to satisfy constraint: \
         Member must have length less than or equal to 128"
    );
}

#[test]
fn unknown_parameters() {
    for (body, name) in [
        ("Action=GetRole&RoleName=r&Foo=bar", "Foo"),
        ("Action=GetRole&RoleName=r&rolename=r", "rolename"),
        (
            "Action=TagRole&RoleName=r&Tags.member.1.key=k",
            "Tags.member.1.key",
        ),
        (
            "Action=TagRole&RoleName=r&Tags.member.0.Key=k",
            "Tags.member.0.Key",
        ),
        (
            "Action=TagRole&RoleName=r&Tags.member.01.Key=k",
            "Tags.member.01.Key",
        ),
        (
            "Action=TagRole&RoleName=r&Tags.member.x.Key=k",
            "Tags.member.x.Key",
        ),
        (
            "Action=TagRole&RoleName=r&Tags.item.1.Key=k",
            "Tags.item.1.Key",
        ),
        (
            "Action=TagRole&RoleName=r&Tags.member.99999999999.Key=k",
            "Tags.member.99999999999.Key",
        ),
        ("Action=GetRole&RoleName.x=r", "RoleName.x"),
        ("Action=GetRole&=r", ""),
        ("Action=GetAccountSummary&RoleName=r", "RoleName"),
    ] {
        let err = iam(body).unwrap_err();
        assert_eq!(
            err,
            QueryError::UnknownParameter { name: name.into() },
            "{body}"
        );
        assert_eq!(err.code(), "UnknownParameter");
        assert_eq!(err.status(), 400);
        assert_eq!(
            err.message(),
            format!("The parameter {name} is not recognized")
        );
    }
}

#[test]
fn protocol_parameters_are_not_members() {
    let input = iam(
        "Action=GetRole&Version=2010-05-08&RoleName=r&X-Amz-Algorithm=AWS4-HMAC-SHA256\
         &X-Amz-Credential=a%2Fb&X-Amz-Date=20240101T000000Z&X-Amz-Signature=00\
         &X-Amz-SignedHeaders=host&X-Amz-Security-Token=t&x-amz-expires=60\
         &AWSAccessKeyId=AKID&SignatureVersion=2&SignatureMethod=HmacSHA256&Signature=s\
         &Timestamp=2024-01-01T00%3A00%3A00Z",
    )
    .unwrap();
    assert_eq!(input.len(), 1);
    assert!(
        iam("Action=GetAccountSummary&Version=2010-05-08&X-Amz-Date=1")
            .unwrap()
            .is_empty()
    );
}

#[test]
fn duplicates() {
    let err = iam("Action=GetRole&RoleName=a&RoleName=b").unwrap_err();
    assert_eq!(err.code(), "InvalidQueryParameter");
    assert_eq!(
        err.message(),
        "The parameter RoleName appears more than once"
    );
    assert_eq!(
        iam("Action=TagRole&RoleName=r&Tags.member.1.Key=a&Tags.member.1.Key=b")
            .unwrap_err()
            .code(),
        "InvalidQueryParameter"
    );
    assert_eq!(
        iam("Action=TagRole&RoleName=r&Tags=&Tags=")
            .unwrap_err()
            .code(),
        "InvalidQueryParameter"
    );
    // The same Action twice is harmless; two different ones are not.
    assert!(iam("Action=GetRole&Action=GetRole&RoleName=r").is_ok());
    assert_eq!(
        iam("Action=GetRole&Action=GetUser&RoleName=r")
            .unwrap_err()
            .code(),
        "InvalidQueryParameter"
    );
}

#[test]
fn huge_and_sparse_indices() {
    let input = iam(
        "Action=TagRole&RoleName=r&Tags.member.4294967295.Key=last&Tags.member.4294967295.Value=z\
         &Tags.member.3.Value=3&Tags.member.3.Key=three&Tags.member.1.Key=one&Tags.member.1.Value=1",
    )
    .unwrap();
    let keys: Vec<_> = input
        .structures("Tags")
        .filter_map(|t| t.str("Key"))
        .collect();
    assert_eq!(keys, ["one", "three", "last"]);
    // The wire index is what a message names.
    assert_eq!(
        validation(iam("Action=TagRole&RoleName=r&Tags.member.999999999.Key=k")),
        "1 validation error detected: Value null at 'tags.999999999.member.value' failed to satisfy constraint: \
         Member must not be null"
    );
}

#[test]
fn resolve_operation_errors() {
    let p = |s: &str| parse_form(s.as_bytes()).unwrap();
    assert_eq!(
        resolve_operation(Some(Service::Iam), &p("RoleName=r")).unwrap_err(),
        QueryError::MissingAction
    );
    assert_eq!(
        resolve_operation(None, &p("Action=")).unwrap_err().code(),
        "MissingAction"
    );
    let err =
        resolve_operation(Some(Service::Iam), &p("Action=Foo&Version=2010-05-08")).unwrap_err();
    assert_eq!(err.code(), "InvalidAction");
    assert_eq!(
        err.message(),
        "Could not find operation Foo for version 2010-05-08"
    );
    // Case-sensitive, like AWS.
    assert_eq!(
        resolve_operation(Some(Service::Iam), &p("Action=getrole"))
            .unwrap_err()
            .code(),
        "InvalidAction"
    );
    // Without Version, the message names the service's version.
    assert_eq!(
        resolve_operation(Some(Service::Sts), &p("Action=CreateRole"))
            .unwrap_err()
            .message(),
        "Could not find operation CreateRole for version 2011-06-15"
    );
    // A Version that is not the endpoint's service.
    assert_eq!(
        resolve_operation(Some(Service::Iam), &p("Action=GetRole&Version=2011-06-15"))
            .unwrap_err()
            .message(),
        "Could not find operation GetRole for version 2011-06-15"
    );
    // An endpoint serving both: Version picks the service, else IAM then STS.
    assert_eq!(
        resolve_operation(None, &p("Action=AssumeRole&Version=2011-06-15"))
            .unwrap()
            .service,
        Service::Sts
    );
    assert_eq!(
        resolve_operation(None, &p("Action=AssumeRole"))
            .unwrap()
            .service,
        Service::Sts
    );
    assert_eq!(
        resolve_operation(None, &p("Action=GetRole"))
            .unwrap()
            .service,
        Service::Iam
    );
    assert_eq!(
        resolve_operation(None, &p("Action=GetRole&Version=2011-06-15"))
            .unwrap_err()
            .code(),
        "InvalidAction"
    );
    assert_eq!(
        resolve_operation(None, &p("Action=GetRole&Version=1999-01-01"))
            .unwrap_err()
            .message(),
        "Could not find operation GetRole for version 1999-01-01"
    );
}

#[test]
fn presigned_get_caller_identity() {
    // What Vault-style login sends: everything in the query string.
    let q = "Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256\
             &X-Amz-Credential=AKIDEXAMPLE%2F20240101%2Fus-east-1%2Fsts%2Faws4_request\
             &X-Amz-Date=20240101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host\
             &X-Amz-Signature=abc";
    let params = parse_form(q.as_bytes()).unwrap();
    let op = resolve_operation(None, &params).unwrap();
    assert_eq!(op.name, "GetCallerIdentity");
    assert!(decode_input(op, &params).unwrap().is_empty());
}

#[test]
fn bad_encoding_reaches_the_client_as_malformed_query_string() {
    let err = iam("Action=GetRole&RoleName=%E9").unwrap_err();
    assert_eq!(err.code(), "MalformedQueryString");
    assert_eq!(err.status(), 400);
    assert_eq!(
        message(iam("Action=GetRole&RoleName=%")),
        "The query string has an invalid percent-encoding at byte 24"
    );
}

// ---- Shapes no IAM or STS input has today: maps, blobs, timestamps, longs, nesting ----

static TEXT: Shape = Shape {
    name: "text",
    kind: ShapeKind::String,
    min: Some(1),
    max: Some(8),
    pattern: Some(&WORD),
    enum_values: &[],
    sensitive: false,
};
static WORD: Pattern = Pattern::new(r"[\w]+", r"^(?:[a-zA-Z0-9_]+)$");
static LONG: Shape = Shape {
    name: "long",
    kind: ShapeKind::Long,
    min: None,
    max: None,
    pattern: None,
    enum_values: &[],
    sensitive: false,
};
static BLOB: Shape = Shape {
    name: "blob",
    kind: ShapeKind::Blob,
    min: None,
    max: Some(3),
    pattern: None,
    enum_values: &[],
    sensitive: false,
};
static TIME: Shape = Shape {
    name: "time",
    kind: ShapeKind::Timestamp,
    min: None,
    max: None,
    pattern: None,
    enum_values: &[],
    sensitive: false,
};
static ATTRS: Shape = Shape {
    name: "attrs",
    kind: ShapeKind::Map {
        key: &TEXT,
        value: &TEXT,
        key_name: "key",
        value_name: "value",
    },
    min: None,
    max: Some(2),
    pattern: None,
    enum_values: &[],
    sensitive: false,
};
static INNER: Shape = Shape {
    name: "Inner",
    kind: ShapeKind::Structure {
        members: &[
            Member {
                name: "Name",
                wire_name: "Name",
                shape: &TEXT,
                required: true,
            },
            Member {
                name: "At",
                wire_name: "At",
                shape: &TIME,
                required: false,
            },
        ],
    },
    min: None,
    max: None,
    pattern: None,
    enum_values: &[],
    sensitive: false,
};
static REQUEST: Shape = Shape {
    name: "TestRequest",
    kind: ShapeKind::Structure {
        members: &[
            Member {
                name: "Attributes",
                wire_name: "Attributes",
                shape: &ATTRS,
                required: false,
            },
            Member {
                name: "Size",
                wire_name: "Size",
                shape: &LONG,
                required: false,
            },
            Member {
                name: "Data",
                wire_name: "Data",
                shape: &BLOB,
                required: false,
            },
            Member {
                name: "Inner",
                wire_name: "Inner",
                shape: &INNER,
                required: false,
            },
        ],
    },
    min: None,
    max: None,
    pattern: None,
    enum_values: &[],
    sensitive: false,
};
static TEST_OP: OperationDef = OperationDef {
    name: "Test",
    service: Service::Iam,
    input: Some(&REQUEST),
    output_shape: None,
    output: None,
    result_wrapper: None,
    output_members: &[],
    errors: &[],
};

fn synthetic(body: &str) -> Result<Input, QueryError> {
    decode_input(&TEST_OP, &parse_form(body.as_bytes())?)
}

#[test]
fn maps_blobs_timestamps_longs_structures() {
    let input = synthetic(
        "Attributes.entry.2.key=b&Attributes.entry.2.value=2&Attributes.entry.1.value=1&Attributes.entry.1.key=a\
         &Size=9007199254740993&Data=Zm9v&Inner.Name=n&Inner.At=2024-05-01T12%3A00%3A00.5Z",
    )
    .unwrap();
    assert_eq!(
        input.map("Attributes"),
        &[
            ("a".to_string(), Value::String("1".into())),
            ("b".to_string(), Value::String("2".into()))
        ]
    );
    assert_eq!(input.int("Size"), Some(9_007_199_254_740_993));
    assert_eq!(input.blob("Data"), Some(&b"foo"[..]));
    let inner = input.structure("Inner").unwrap();
    assert_eq!(inner.str("Name"), Some("n"));
    assert_eq!(inner.timestamp("At"), Some("2024-05-01T12:00:00.5Z"));
}

#[test]
fn synthetic_validation() {
    assert_eq!(
        validation(synthetic("Attributes.entry.1.key=a")),
        "1 validation error detected: Value null at 'attributes.1.value' failed to satisfy constraint: Member must not be null"
    );
    assert_eq!(
        validation(synthetic("Data=Zm9vYg%3D%3D")),
        "1 validation error detected: Value 'Zm9vYg==' at 'data' failed to satisfy constraint: Member must have length less than or equal to 3"
    );
    assert!(validation(synthetic("Data=%21%21")).contains("Member must be base64-encoded"));
    assert!(
        validation(synthetic("Inner.Name=n&Inner.At=yesterday")).contains(
            "at 'inner.at' failed to satisfy constraint: Member must be an ISO 8601 timestamp"
        )
    );
    assert!(validation(synthetic("Size=1.5")).contains("Member must be a long integer"));
    // An empty structure is present, so its required members are reported.
    assert_eq!(
        validation(synthetic("Inner=")),
        "1 validation error detected: Value null at 'inner.name' failed to satisfy constraint: Member must not be null"
    );
    let msg = validation(synthetic(
        "Attributes.entry.1.key=a&Attributes.entry.1.value=1&Attributes.entry.2.key=b&Attributes.entry.2.value=2\
         &Attributes.entry.3.key=c&Attributes.entry.3.value=3",
    ));
    assert_eq!(
        msg,
        "1 validation error detected: Value '{a=1, b=2, c=3}' at 'attributes' failed to satisfy constraint: Member must have length less than or equal to 2"
    );
    assert_eq!(
        synthetic("Attributes.entry.1.name=a").unwrap_err().code(),
        "UnknownParameter"
    );
    assert_eq!(
        synthetic("Attributes.item.1.key=a").unwrap_err().code(),
        "UnknownParameter"
    );
}
