# The founding guide (AWS's "ECS Anywhere IAM role") as Terraform: the role
# with the SSM trust policy and AWS's two managed policies. The trust policy is
# the guide's own ssm-trust-policy.json, written beside this file by the test.

resource "aws_iam_role" "ecs_anywhere" {
  name               = "ecsAnywhereRole"
  assume_role_policy = file("${path.module}/ssm-trust-policy.json")
}

resource "aws_iam_role_policy_attachment" "ssm_core" {
  role       = aws_iam_role.ecs_anywhere.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

# The guide's last line is cut off before the ARN; note the service-role/ path.
resource "aws_iam_role_policy_attachment" "ecs_ec2" {
  role       = aws_iam_role.ecs_anywhere.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"
}

output "role_arn" {
  value = aws_iam_role.ecs_anywhere.arn
}
