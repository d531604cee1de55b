# Groups: a group with a path, members, an inline policy and an attached one.

resource "aws_iam_group" "developers" {
  name = "developers"
  path = "/teams/"
}

resource "aws_iam_user" "carol" {
  name = "carol"
}

resource "aws_iam_group_membership" "developers" {
  name  = "developers-membership"
  group = aws_iam_group.developers.name
  users = [aws_iam_user.carol.name]
}

resource "aws_iam_group_policy" "developers_inline" {
  name  = "read-parameters"
  group = aws_iam_group.developers.name
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "ssm:GetParameter*", Resource = "*" }]
  })
}

resource "aws_iam_group_policy_attachment" "developers_read_only" {
  group      = aws_iam_group.developers.name
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}
