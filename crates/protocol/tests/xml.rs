//! Golden XML: the envelopes byte for byte.

use ironiam_protocol::{write_error, write_success, QueryError, Service, XmlWriter};

#[test]
fn success_with_result() {
    let xml = write_success(
        Service::Iam,
        "GetRole",
        "4a93ceee-9966-11e1-b624-b1aEXAMPLE7c",
        Some(&|w: &mut XmlWriter| {
            w.nested("Role", |w| {
                w.element("Path", "/application_abc/component_xyz/");
                w.element("RoleName", "S3Access");
                w.int_element("MaxSessionDuration", 3600);
            });
        }),
    );
    assert_eq!(
        xml,
        "<GetRoleResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\
         <GetRoleResult><Role><Path>/application_abc/component_xyz/</Path><RoleName>S3Access</RoleName>\
         <MaxSessionDuration>3600</MaxSessionDuration></Role></GetRoleResult>\
         <ResponseMetadata><RequestId>4a93ceee-9966-11e1-b624-b1aEXAMPLE7c</RequestId></ResponseMetadata>\
         </GetRoleResponse>"
    );
}

#[test]
fn success_without_output_shape_has_no_result() {
    // DeleteRole has no output in the model: no DeleteRoleResult, even if a closure is given.
    let golden = "<DeleteRoleResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\
                  <ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></DeleteRoleResponse>";
    assert_eq!(
        write_success(Service::Iam, "DeleteRole", "r-1", None),
        golden
    );
    assert_eq!(
        write_success(
            Service::Iam,
            "DeleteRole",
            "r-1",
            Some(&|w: &mut XmlWriter| w.element("X", "y"))
        ),
        golden
    );
}

#[test]
fn success_with_empty_result() {
    // UpdateRole has an output shape with no members: the wrapper is there, empty.
    assert_eq!(
        write_success(Service::Iam, "UpdateRole", "r-2", None),
        "<UpdateRoleResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><UpdateRoleResult/>\
         <ResponseMetadata><RequestId>r-2</RequestId></ResponseMetadata></UpdateRoleResponse>"
    );
}

#[test]
fn sts_success() {
    let xml = write_success(
        Service::Sts,
        "GetCallerIdentity",
        "01234567-89ab-cdef-0123-456789abcdef",
        Some(&|w: &mut XmlWriter| {
            w.element("Arn", "arn:aws:iam::123456789012:user/Alice");
            w.element("UserId", "AKIAI44QH8DHBEXAMPLE");
            w.element("Account", "123456789012");
        }),
    );
    assert_eq!(
        xml,
        "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult>\
         <Arn>arn:aws:iam::123456789012:user/Alice</Arn><UserId>AKIAI44QH8DHBEXAMPLE</UserId>\
         <Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata>\
         <RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId></ResponseMetadata></GetCallerIdentityResponse>"
    );
}

#[test]
fn error_envelope() {
    let err = QueryError::Validation(vec![
        "Value 'a<b' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+".into(),
    ]);
    let xml = write_error(
        Service::Iam,
        err.is_sender_fault(),
        err.code(),
        &err.message(),
        "e-1",
    );
    assert_eq!(
        xml,
        "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type>\
         <Code>ValidationError</Code><Message>1 validation error detected: Value 'a&lt;b' at 'roleName' \
         failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+</Message>\
         </Error><RequestId>e-1</RequestId></ErrorResponse>"
    );
    assert_eq!(
        write_error(Service::Sts, false, "InternalFailure", "oops & \"more\"", "e-2"),
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Receiver</Type>\
         <Code>InternalFailure</Code><Message>oops &amp; &quot;more&quot;</Message></Error>\
         <RequestId>e-2</RequestId></ErrorResponse>"
    );
}

#[test]
fn lists_and_escaping_in_results() {
    let xml = write_success(
        Service::Iam,
        "ListRoleTags",
        "r",
        Some(&|w: &mut XmlWriter| {
            w.list("Tags", [("a", "x<y"), ("b", "")], |w, (k, v)| {
                w.element("Key", k);
                w.element("Value", v);
            });
            w.bool_element("IsTruncated", false);
        }),
    );
    assert_eq!(
        xml,
        "<ListRoleTagsResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><ListRoleTagsResult>\
         <Tags><member><Key>a</Key><Value>x&lt;y</Value></member><member><Key>b</Key><Value></Value></member></Tags>\
         <IsTruncated>false</IsTruncated></ListRoleTagsResult><ResponseMetadata><RequestId>r</RequestId>\
         </ResponseMetadata></ListRoleTagsResponse>"
    );
}
