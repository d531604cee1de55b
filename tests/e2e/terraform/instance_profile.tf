# An instance profile for the application's role (roles.tf, whose
# `generation` it follows), tagged, as EC2 launch templates name it.

resource "aws_iam_instance_profile" "app" {
  name = "app"
  path = "/services/"
  role = aws_iam_role.app.name
  tags = var.generation == 1 ? { team = "platform" } : { team = "sre" }
}
