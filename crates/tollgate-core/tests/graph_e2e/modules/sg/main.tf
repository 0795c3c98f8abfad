variable "admin_cidr" {
  type = string
}

resource "aws_security_group" "this" {
  name = "svc"
}

resource "aws_security_group_rule" "admin" {
  type              = "ingress"
  protocol          = "tcp"
  from_port         = 3389
  to_port           = 3389
  cidr_blocks       = [var.admin_cidr]
  security_group_id = aws_security_group.this.id
}

resource "aws_vpc_security_group_ingress_rule" "peer" {
  security_group_id            = aws_security_group.this.id
  referenced_security_group_id = aws_security_group.this.id
  ip_protocol                  = "udp"
  from_port                    = 53
  to_port                      = 53
}
