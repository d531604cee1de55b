# A role for an application, with everything Terraform users put on one: a
# path, a description, a longer session, tags, an inline policy, a customer
# managed policy (with its own path, description and tags) and an AWS managed
# one attached. `generation = 2` changes each of them in place.

variable "generation" {
  type    = number
  default = 1
}

data "aws_caller_identity" "current" {}

data "aws_iam_policy_document" "ec2_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = var.generation == 1 ? ["ec2.amazonaws.com"] : ["ec2.amazonaws.com", "ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_policy" "read_logs" {
  name        = "ReadLogs"
  path        = "/platform/"
  description = "Read CloudWatch Logs"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = var.generation == 1 ? ["logs:Get*", "logs:Describe*"] : ["logs:Get*", "logs:Describe*", "logs:FilterLogEvents"]
      Resource = "*"
    }]
  })
  tags = { team = "platform" }
}

resource "aws_iam_role" "app" {
  name                 = "app"
  path                 = "/services/"
  description          = var.generation == 1 ? "The application's role" : "The application's role, generation 2"
  max_session_duration = var.generation == 1 ? 7200 : 3600
  assume_role_policy   = data.aws_iam_policy_document.ec2_trust.json
  tags                 = var.generation == 1 ? { team = "platform", env = "test" } : { team = "sre", owner = "sre" }
}

resource "aws_iam_role_policy" "app_inline" {
  name = "read-own-parameters"
  role = aws_iam_role.app.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = var.generation == 1 ? "ssm:GetParameter" : "ssm:GetParameters"
      Resource = "arn:aws:ssm:us-east-1:${data.aws_caller_identity.current.account_id}:parameter/app/*"
    }]
  })
}

resource "aws_iam_role_policy_attachment" "app_logs" {
  role       = aws_iam_role.app.name
  policy_arn = aws_iam_policy.read_logs.arn
}

resource "aws_iam_role_policy_attachment" "app_ssm" {
  role       = aws_iam_role.app.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

output "account_id" {
  value = data.aws_caller_identity.current.account_id
}
