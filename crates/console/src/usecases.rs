//! The "AWS service" use cases of the Create role wizard: for each, the
//! service principal AWS's console trusts and the managed policies it
//! selects by default.
//!
//! Sources: the ECS developer guide (container instance role: trust
//! `ec2.amazonaws.com`, `AmazonEC2ContainerServiceforEC2Role`; the
//! ECS Anywhere guide selects it in this very use case; task roles trust
//! `ecs-tasks.amazonaws.com` and the guide has you search for a policy, so
//! none is preselected; `ecsAutoscaleRole` trusts
//! `application-autoscaling.amazonaws.com` with
//! `AmazonEC2ContainerServiceAutoscaleRole`; the ECS service role trusts
//! `ecs.amazonaws.com` with `AmazonEC2ContainerServiceRole`), the Systems
//! Manager user guide (the hybrid-activation service role trusts
//! `ssm.amazonaws.com` and has you add `AmazonSSMManagedInstanceCore`
//! yourself; the EC2 instance profile for Systems Manager uses
//! `AmazonSSMManagedInstanceCore`) and the IAM user guide's service roles.

/// One use case.
#[derive(Debug)]
pub(crate) struct UseCase {
    /// Stable id used in forms: `service/use-case`.
    pub id: &'static str,
    /// The title AWS's console shows.
    pub title: &'static str,
    /// AWS's one-line description, also the role's default description.
    pub description: &'static str,
    /// The service principal of the trust policy.
    pub principal: &'static str,
    /// Managed policies selected by default.
    pub policies: &'static [&'static str],
}

/// A service and its use cases.
#[derive(Debug)]
pub(crate) struct ServiceUseCases {
    /// Form id.
    pub id: &'static str,
    /// The name AWS's console lists.
    pub name: &'static str,
    /// Its use cases, the common one first.
    pub use_cases: &'static [UseCase],
}

/// Every service the wizard offers.
pub(crate) const SERVICES: &[ServiceUseCases] = &[
    ServiceUseCases {
        id: "ec2",
        name: "EC2",
        use_cases: &[
            UseCase {
                id: "ec2/ec2",
                title: "EC2",
                description: "Allows EC2 instances to call AWS services on your behalf.",
                principal: "ec2.amazonaws.com",
                policies: &[],
            },
            UseCase {
                id: "ec2/ssm",
                title: "EC2 Role for AWS Systems Manager",
                description: "Allows EC2 instances to call AWS services like CloudWatch and Systems Manager on your behalf.",
                principal: "ec2.amazonaws.com",
                policies: &["arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"],
            },
            UseCase {
                id: "ec2/spot-fleet",
                title: "EC2 Spot Fleet Role",
                description: "Allows EC2 Spot Fleet to request and terminate Spot Instances on your behalf.",
                principal: "spotfleet.amazonaws.com",
                policies: &["arn:aws:iam::aws:policy/service-role/AmazonEC2SpotFleetTaggingRole"],
            },
        ],
    },
    ServiceUseCases {
        id: "ecs",
        name: "Elastic Container Service",
        use_cases: &[
            UseCase {
                id: "ecs/ecs",
                title: "Elastic Container Service",
                description: "Allows ECS to create and manage AWS resources on your behalf.",
                principal: "ecs.amazonaws.com",
                policies: &["arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceRole"],
            },
            UseCase {
                id: "ecs/autoscale",
                title: "Elastic Container Service Autoscale",
                description: "Allows Auto Scaling to access and update ECS services.",
                principal: "application-autoscaling.amazonaws.com",
                policies: &["arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceAutoscaleRole"],
            },
            UseCase {
                id: "ecs/ec2-role",
                title: "EC2 Role for Elastic Container Service",
                description: "Allows EC2 instances in an ECS cluster to access ECS.",
                principal: "ec2.amazonaws.com",
                policies: &["arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"],
            },
            UseCase {
                id: "ecs/task",
                title: "Elastic Container Service Task",
                description: "Allows ECS tasks to call AWS services on your behalf.",
                principal: "ecs-tasks.amazonaws.com",
                policies: &[],
            },
        ],
    },
    ServiceUseCases {
        id: "lambda",
        name: "Lambda",
        use_cases: &[UseCase {
            id: "lambda/lambda",
            title: "Lambda",
            description: "Allows Lambda functions to call AWS services on your behalf.",
            principal: "lambda.amazonaws.com",
            policies: &[],
        }],
    },
    ServiceUseCases {
        id: "ssm",
        name: "Systems Manager",
        use_cases: &[UseCase {
            id: "ssm/ssm",
            title: "Systems Manager",
            description: "Allows SSM to call AWS services on your behalf.",
            principal: "ssm.amazonaws.com",
            policies: &[],
        }],
    },
];

/// The use case with `id`.
pub(crate) fn find(id: &str) -> Option<&'static UseCase> {
    SERVICES
        .iter()
        .flat_map(|s| s.use_cases.iter())
        .find(|u| u.id == id)
}

/// The trust policy AWS's console writes for a service use case.
pub(crate) fn service_trust(principal: &str) -> String {
    let doc = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": principal},
            "Action": "sts:AssumeRole"
        }]
    });
    crate::html::pretty_json(&doc.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_policies_are_in_the_catalog_and_trusts_validate() {
        for service in SERVICES {
            for u in service.use_cases {
                assert!(u.id.starts_with(service.id), "{}", u.id);
                for arn in u.policies {
                    let p = ironiam_catalog::catalog()
                        .get(arn)
                        .unwrap_or_else(|| panic!("{arn} missing"));
                    assert!(p.is_attachable, "{arn}");
                }
                ironiam_policy::validate(
                    &service_trust(u.principal),
                    ironiam_policy::PolicyKind::Trust,
                )
                .unwrap();
            }
        }
        let ecs = find("ecs/ec2-role").unwrap();
        assert_eq!(ecs.principal, "ec2.amazonaws.com");
        assert_eq!(
            ecs.policies,
            ["arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"]
        );
        assert_eq!(
            find("ecs/task").unwrap().principal,
            "ecs-tasks.amazonaws.com"
        );
        assert_eq!(
            find("ecs/autoscale").unwrap().principal,
            "application-autoscaling.amazonaws.com"
        );
    }
}
