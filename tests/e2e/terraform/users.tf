# Users as a platform team manages them: paths, tags, a customer managed
# policy and an AWS managed one attached, an inline policy, an access key.
# `generation = 2` changes each of them in place.

variable "generation" {
  type    = number
  default = 1
}

resource "aws_iam_policy" "deploy" {
  name        = "Deploy"
  description = "Deploy the application"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = var.generation == 1 ? ["ecs:UpdateService", "ecs:Describe*"] : ["ecs:UpdateService", "ecs:Describe*", "ecs:List*"], Resource = "*" },
      { Effect = "Deny", Action = "ecs:DeleteCluster", Resource = "*" },
    ]
  })
}

resource "aws_iam_user" "alice" {
  name = "alice"
  path = var.generation == 1 ? "/engineers/" : "/platform/"
  tags = var.generation == 1 ? { team = "platform", cost-center = "42" } : { team = "platform", on-call = "yes" }
}

resource "aws_iam_user" "deployer" {
  name = "deployer"
}

resource "aws_iam_user_policy_attachment" "alice_read_only" {
  user       = aws_iam_user.alice.name
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}

resource "aws_iam_user_policy_attachment" "deployer_deploy" {
  user       = aws_iam_user.deployer.name
  policy_arn = aws_iam_policy.deploy.arn
}

resource "aws_iam_user_policy" "alice_own_keys" {
  name = "manage-own-access-keys"
  user = aws_iam_user.alice.name
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = var.generation == 1 ? ["iam:CreateAccessKey", "iam:ListAccessKeys"] : ["iam:CreateAccessKey", "iam:ListAccessKeys", "iam:UpdateAccessKey"], Resource = "arn:aws:iam::*:user/*/$${aws:username}" }]
  })
}

resource "aws_iam_access_key" "deployer" {
  user   = aws_iam_user.deployer.name
  status = var.generation == 1 ? "Active" : "Inactive"
}
