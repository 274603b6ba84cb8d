terraform {
  required_providers {
    tether = {
      source  = "tether/tether"
      version = "~> 0.1"
    }
  }
}

# Each cloud's block is needed only when a resource of that cloud is used. Every credential can
# come from the official providers' environment variables instead of the configuration.
provider "tether" {
  tencentcloud {
    secret_id  = var.tencent_secret_id  # or TENCENTCLOUD_SECRET_ID
    secret_key = var.tencent_secret_key # or TENCENTCLOUD_SECRET_KEY
  }

  huaweicloud {
    access_key = var.huawei_access_key # or HW_ACCESS_KEY
    secret_key = var.huawei_secret_key # or HW_SECRET_KEY
    region     = "cn-north-4"          # or HW_REGION_NAME
    domain_id  = var.huawei_domain_id  # or HW_DOMAIN_ID
    project_id = var.huawei_project_id # or HW_PROJECT_ID
  }

  zstack {
    endpoint         = "http://zstack.example.com:8080" # or ZSTACK_ENDPOINT
    account_name     = "admin"                          # or ZSTACK_ACCOUNT_NAME
    account_password = var.zstack_password              # or ZSTACK_ACCOUNT_PASSWORD
  }
}

variable "tencent_secret_id" { sensitive = true }
variable "tencent_secret_key" { sensitive = true }
variable "huawei_access_key" { sensitive = true }
variable "huawei_secret_key" { sensitive = true }
variable "huawei_domain_id" { type = string }
variable "huawei_project_id" { type = string }
variable "zstack_password" { sensitive = true }
