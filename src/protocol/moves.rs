//! MoveResourceState: `moved` blocks from other providers' resource types into ours (see
//! `framework::moves` for the conversions' rules), and what the plan carrying a move says.

use tonic::{Request, Response, Status};

use crate::framework::detach;
use crate::framework::diag::{Diagnostic, Diagnostics};
use crate::framework::moves::{MoveSource, MovedMark, SourceState};
use crate::framework::operation::Limit;
use crate::framework::resource::{Ctx, Plan, Provider, Resource};
use crate::framework::value::Value;

use super::{Entry, ProviderService, bounded, convert, pb, reply};

impl<P: Provider> ProviderService<P> {
    pub(super) async fn handle_move_resource_state(
        &self,
        request: Request<pb::move_resource_state::Request>,
    ) -> Result<Response<pb::move_resource_state::Response>, Status> {
        let mut diags = Diagnostics::new();
        let mut response = self.move_state(&request.into_inner(), &mut diags).unwrap_or_default();
        if diags.has_errors() {
            response = pb::move_resource_state::Response::default();
        }
        response.diagnostics = convert::diagnostics(&diags);
        reply(response)
    }

    /// The plan carrying a `moved` block into this type says what destroying the object does
    /// from now on: the detach call is this provider's, which may differ from the source's
    /// (a reviewer approving the move approves it). When the configuration turns on a detach the
    /// moved state had off (the source's destroy left the object alone), it says so.
    pub(super) async fn review_move(
        &self,
        entry: &Entry<dyn Resource<P::Data>>,
        data: &P::Data,
        from: &str,
        plan: &Plan,
        diags: &mut Diagnostics,
    ) {
        let object = entry.object_id(&plan.planned);
        let call = entry.handler.detach_call(&plan.planned);
        let enabled = detach::enabled(&plan.planned);
        let turned_on = enabled && !detach::enabled(&plan.prior);
        let effect = match &call {
            Ok(call) if enabled => {
                let op = self.operation(Limit::read(self.provider.limits(data)));
                let ctx = Ctx::new(data, &op);
                let Some(effect) = bounded(&op, entry.handler.destroy_effect(&ctx, &plan.prior), diags).await else {
                    return;
                };
                format!("From now on, destroying it calls {} {}: {effect}", call.api, call.parameters)
            }
            Ok(_) => {
                "From now on, destroying it only removes it from the Terraform state (detach_on_destroy is false)."
                    .to_string()
            }
            Err(reason) => format!("Destroying it calls no detach API: {reason}."),
        };
        let detail = if turned_on {
            format!(
                "Destroying the {from} did not detach it, so the moved state has detach_on_destroy = false, and this configuration sets it to true (the default). {effect} To keep the old behaviour, set detach_on_destroy = false."
            )
        } else {
            effect
        };
        diags.warning(format!("{object} moved here from {from}"), detail);
    }

    /// Converts a `moved` object of another provider's type into `request.target_type_name`.
    /// Pure: Terraform calls it on an unconfigured instance (OpenTofu on a configured one).
    fn move_state(
        &self,
        request: &pb::move_resource_state::Request,
        diags: &mut Diagnostics,
    ) -> Option<pb::move_resource_state::Response> {
        let target = &request.target_type_name;
        let entry = self.resource(target, diags)?;
        let Some(source) = entry
            .handler
            .move_sources()
            .iter()
            .find(|s| s.matches(&request.source_provider_address, &request.source_type_name))
        else {
            diags.push(self.unsupported_move(request));
            return None;
        };
        let cannot = |why: String| {
            Diagnostic::error(
                format!("Cannot move {} to {target}", source.type_name),
                format!("{why} Nothing was changed: the state still holds the {} object.", source.type_name),
            )
        };
        if request.source_schema_version > source.schema_version {
            diags.push(cannot(format!(
                "Its state has schema version {}, written by a newer {} than this provider knows (it reads version {} and older). Upgrade terraform-provider-tether, or report the new version.",
                request.source_schema_version, source.provider, source.schema_version
            )));
            return None;
        }
        let raw = request.source_state.clone().unwrap_or_default();
        let attributes = match serde_json::from_slice::<serde_json::Value>(&raw.json) {
            Ok(serde_json::Value::Object(attributes)) => attributes,
            Ok(_) | Err(_) => {
                diags.push(cannot(
                    "Terraform sent no JSON object for its state (only Terraform 0.12 and later states can move)."
                        .to_string(),
                ));
                return None;
            }
        };
        let moved = match (source.convert)(&SourceState::new(&attributes, &request.source_private)) {
            Ok(moved) => moved,
            Err(why) => {
                diags.push(cannot(format!(
                    "Its state cannot be converted: {why}. Refresh it with the {} provider first (terraform apply -refresh-only), then plan the move again.",
                    source.provider
                )));
                return None;
            }
        };
        let guard = Value::Object([(detach::ATTRIBUTE.to_string(), Value::Bool(moved.detach_on_destroy))].into());
        let state = entry.finish(moved.state, &guard);
        let target_state = convert::encode(&state, &entry.ty, "moved state", diags)?;
        let target_identity = entry.identity_of(&state, diags);
        Some(pb::move_resource_state::Response {
            target_state: Some(target_state),
            target_identity,
            target_private: MovedMark::fresh(source.type_name).encode(),
            diagnostics: Vec::new(),
        })
    }

    /// The error for a move this provider cannot take, listing the ones it can.
    fn unsupported_move(&self, request: &pb::move_resource_state::Request) -> Diagnostic {
        let mut supported: Vec<String> = self
            .resources
            .iter()
            .flat_map(|(target, entry)| {
                entry.handler.move_sources().iter().map(move |s: &MoveSource| format!("- {} -> {target}", s.describe()))
            })
            .collect();
        supported.sort();
        Diagnostic::error(
            "Unsupported move into terraform-provider-tether",
            format!(
                "{} cannot take over {} objects of {:?} (compared by namespace/type on any registry host, or by bare name). The moves it supports are:\n{}",
                request.target_type_name,
                request.source_type_name,
                request.source_provider_address,
                supported.join("\n")
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::value;
    use pb::provider_server::Provider as _;

    fn service() -> ProviderService<crate::provider::TetherProvider> {
        ProviderService::new(crate::provider::TetherProvider::new())
    }

    /// Asks `service` to move `source` (SDKv2 JSON) of `source_type` into `target`.
    async fn move_state(
        service: &ProviderService<crate::provider::TetherProvider>,
        address: &str,
        source_type: &str,
        version: i64,
        source: serde_json::Value,
        target: &str,
    ) -> pb::move_resource_state::Response {
        service
            .move_resource_state(Request::new(pb::move_resource_state::Request {
                source_provider_address: address.into(),
                source_type_name: source_type.into(),
                source_schema_version: version,
                source_state: Some(pb::RawState { json: serde_json::to_vec(&source).unwrap(), ..Default::default() }),
                target_type_name: target.into(),
                // What the SDK keeps there: its timeouts and schema version, never read.
                source_private:
                    br#"{"e2bfb730-ecaa-11e6-8f88-34363bc7c4c0":{"create":1800000000000},"schema_version":"0"}"#
                        .to_vec(),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner()
    }

    /// The moved state and identity, after checking the move succeeded and carries the mark.
    fn moved(
        service: &ProviderService<crate::provider::TetherProvider>,
        target: &str,
        response: &pb::move_resource_state::Response,
        from: &str,
    ) -> (Value, Value) {
        assert!(response.diagnostics.is_empty(), "{:?}", response.diagnostics);
        let entry = &service.resources[target];
        let state = value::decode_msgpack(&response.target_state.as_ref().unwrap().msgpack, &entry.ty).unwrap();
        let identity = response.target_identity.as_ref().expect("an identity").identity_data.as_ref().unwrap();
        let identity = value::decode_msgpack(&identity.msgpack, &entry.identity_ty).unwrap();
        assert!(identity.is_wholly_known());
        assert_eq!(MovedMark::decode(&response.target_private), Some(MovedMark::fresh(from)));
        (state, identity)
    }

    fn text<'a>(value: &'a Value, name: &str) -> Option<&'a str> {
        value.attr(name).and_then(Value::as_str)
    }

    const ATTACHMENT: &str = "tencentcloud_organization_policy_sub_account_attachment";

    fn attachment(sub: u64) -> serde_json::Value {
        serde_json::json!({
            "id": "1001#100000000101#200000000001",
            "policy_id": 1001, "member_uin": 100000000101u64, "org_sub_account_uin": sub,
            "policy_name": "admin-access", "identity_id": 7, "identity_role_name": "OrgAdmin",
            "identity_role_alias_name": "Admin", "org_sub_account_name": "alice",
            "create_time": "2026-01-02 03:04:05", "update_time": "2026-01-02 03:04:05"
        })
    }

    #[tokio::test]
    async fn a_tencent_attachment_becomes_a_member_auth_binding() {
        let service = service();
        let target = "tether_member_auth_binding";
        let response = move_state(
            &service,
            "registry.terraform.io/tencentcloudstack/tencentcloud",
            ATTACHMENT,
            0,
            attachment(200000000001),
            target,
        )
        .await;
        let (state, identity) = moved(&service, target, &response, ATTACHMENT);
        assert_eq!(text(&state, "id"), Some("100000000101/1001/200000000001"));
        assert_eq!(
            state.attr("member_uin").and_then(Value::as_number).map(|n| n.to_string()).as_deref(),
            Some("100000000101")
        );
        assert_eq!(text(&state, "org_sub_account_name"), Some("alice"));
        assert_eq!(text(&state, "create_time"), Some("2026-01-02 03:04:05"));
        assert_eq!(state.attr(detach::ATTRIBUTE), Some(&Value::Bool(true)));
        assert_eq!(
            text(&state, detach::CALL_ATTRIBUTE),
            Some(
                "Tencent Cloud CancelOrganizationMemberAuthAccount {MemberUin: 100000000101, PolicyId: 1001, OrgSubAccountUin: 200000000001}"
            )
        );
        assert_eq!(
            identity.attr("org_sub_account_uin").and_then(Value::as_number).map(|n| n.to_string()).as_deref(),
            Some("200000000001")
        );

        // The official read keeps the first binding of the policy and member: attributes that
        // disagree with the ID describe another sub-account, and only the ID is taken.
        let response = move_state(&service, "tencentcloud", ATTACHMENT, 0, attachment(200000000002), target).await;
        let (state, _) = moved(&service, target, &response, ATTACHMENT);
        assert_eq!(text(&state, "id"), Some("100000000101/1001/200000000001"));
        assert_eq!(text(&state, "org_sub_account_name"), Some(""));
        assert_eq!(text(&state, "create_time"), Some(""));
    }

    #[tokio::test]
    async fn an_rgc_enrollment_becomes_a_managed_account() {
        let service = service();
        let (source_type, target) = ("huaweicloud_rgc_account_enroll", "tether_rgc_managed_account");
        let source = serde_json::json!({
            "id": "acc-1", "region": "cn-north-4", "managed_account_id": "acc-1",
            "parent_organizational_unit_id": "ou-1", "parent_organizational_unit_name": "Sandbox",
            "blueprint": [{"blueprint_product_id": "bp-1", "blueprint_product_version": "v1", "variables": "",
                           "is_blueprint_has_multi_account_resource": false}],
            "landing_zone_version": "2.0", "manage_account_id": "mgmt", "account_type": "ACCOUNT",
            "account_name": "data", "owner": "CUSTOM", "stage": "ENROLLED",
            "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-02T00:00:00Z",
            "enable_force_new": "false", "timeouts": {"create": "30m", "delete": null}
        });
        let response = move_state(&service, "huaweicloud/huaweicloud", source_type, 0, source, target).await;
        let (state, identity) = moved(&service, target, &response, source_type);
        assert_eq!(text(&identity, "managed_account_id"), Some("acc-1"));
        assert_eq!(text(&state, "state"), Some("ENROLLED"));
        assert_eq!(text(&state, "parent_organizational_unit_name"), Some("Sandbox"));
        let blueprint = state.attr("blueprint").unwrap();
        assert_eq!(text(blueprint, "blueprint_product_id"), Some("bp-1"));
        assert_eq!(blueprint.attr("variables"), Some(&Value::Null), "SDKv2's \"\" is unset");
        assert_eq!(blueprint.attr("is_blueprint_has_multi_account_resource"), Some(&Value::Null));
        let timeouts = state.attr("timeouts").unwrap();
        assert_eq!(text(timeouts, "create"), Some("30m"));
        assert_eq!(timeouts.attr("update"), Some(&Value::Null));
        assert!(text(&state, detach::CALL_ATTRIBUTE).unwrap().starts_with("Huawei Cloud UnEnrollAccount"));
    }

    #[tokio::test]
    async fn an_accepter_becomes_a_membership_that_leaves_only_if_the_source_would_have() {
        let service = service();
        let (source_type, target) =
            ("huaweicloud_organizations_account_invite_accepter", "tether_organization_membership");
        for (leave, detaches) in
            [(serde_json::json!(false), false), (serde_json::json!(null), false), (serde_json::json!(true), true)]
        {
            let source = serde_json::json!({
                "id": "h-1", "invitation_id": "h-1", "leave_organization_on_destroy": leave,
                "urn": "organizations::mgmt:handshake:o-1/h-1", "account_id": "acc-2",
                "master_account_id": "mgmt", "master_account_name": "tether-management",
                "organization_id": "o-1", "created_at": "", "updated_at": "", "status": "accepted"
            });
            let response =
                move_state(&service, "registry.opentofu.org/huaweicloud/huaweicloud", source_type, 0, source, target)
                    .await;
            let (state, identity) = moved(&service, target, &response, source_type);
            assert_eq!(text(&identity, "organization_id"), Some("o-1"));
            assert_eq!(text(&state, "handshake_id"), Some("h-1"));
            assert_eq!(text(&state, "management_account_name"), Some("tether-management"));
            assert_eq!(text(&state, "urn"), Some(""), "the invitation's URN is not the organization's");
            assert_eq!(state.attr(detach::ATTRIBUTE), Some(&Value::Bool(detaches)), "leave = {leave}");
            let call = text(&state, detach::CALL_ATTRIBUTE).unwrap();
            assert_eq!(call.starts_with("none: detach_on_destroy is false"), !detaches, "{call}");
        }
    }

    #[tokio::test]
    async fn an_account_assignment_becomes_its_principals_association() {
        let service = service();
        let (source_type, target) =
            ("huaweicloud_identitycenter_account_assignment", "tether_identity_center_profile_association");
        let source = serde_json::json!({
            "id": "ps-admin/acc-1/u-alice", "region": "cn-north-4", "instance_id": "ins-1",
            "permission_set_id": "ps-admin", "principal_id": "u-alice", "principal_type": "USER",
            "target_id": "acc-1", "target_type": "ACCOUNT"
        });
        let response = move_state(&service, "huaweicloud/huaweicloud", source_type, 0, source.clone(), target).await;
        let (state, identity) = moved(&service, target, &response, source_type);
        assert_eq!(text(&state, "id"), Some("ins-1/USER/u-alice"));
        assert_eq!(text(&identity, "principal_id"), Some("u-alice"));
        let assignments = state.attr("assignment").and_then(Value::elements).unwrap();
        assert_eq!(assignments.len(), 1);
        assert_eq!(text(&assignments[0], "account_id"), Some("acc-1"));
        assert_eq!(state.attr("identity_store_id"), Some(&Value::Null), "the refresh looks it up");

        let mut group = source;
        group["target_type"] = "OU".into();
        let response = move_state(&service, "huaweicloud/huaweicloud", source_type, 0, group, target).await;
        assert!(response.target_state.is_none());
        assert!(response.diagnostics[0].detail.contains("`target_type` is \"OU\""), "{:?}", response.diagnostics);
    }

    #[tokio::test]
    async fn moves_it_cannot_take_fail_with_the_list_of_supported_ones() {
        let service = service();
        let target = "tether_member_auth_binding";
        // Another provider, another type, a type of the right provider moved to the wrong
        // target, and a fork under another namespace.
        for (address, source_type) in [
            ("registry.terraform.io/hashicorp/aws", "aws_iam_user_policy_attachment"),
            ("registry.terraform.io/tencentcloudstack/tencentcloud", "tencentcloud_cam_user"),
            ("registry.terraform.io/huaweicloud/huaweicloud", "huaweicloud_rgc_account_enroll"),
            ("registry.terraform.io/someone/tencentcloud", ATTACHMENT),
        ] {
            let response = move_state(&service, address, source_type, 0, attachment(200000000001), target).await;
            assert!(response.target_state.is_none());
            let [d] = &response.diagnostics[..] else { panic!("{:?}", response.diagnostics) };
            assert_eq!(d.summary, "Unsupported move into terraform-provider-tether");
            for line in [
                "- tencentcloudstack/tencentcloud tencentcloud_organization_policy_sub_account_attachment -> tether_member_auth_binding",
                "- huaweicloud/huaweicloud huaweicloud_rgc_account_enroll -> tether_rgc_managed_account",
                "- huaweicloud/huaweicloud huaweicloud_organizations_account_invite_accepter -> tether_organization_membership",
                "- huaweicloud/huaweicloud huaweicloud_identitycenter_account_assignment -> tether_identity_center_profile_association",
            ] {
                assert!(d.detail.contains(line), "{}", d.detail);
            }
        }

        // A newer source schema, and states that cannot be read, fail with why and change nothing.
        let response = move_state(&service, "tencentcloud", ATTACHMENT, 1, attachment(200000000001), target).await;
        assert!(response.target_state.is_none());
        assert!(response.diagnostics[0].detail.contains("schema version 1"), "{:?}", response.diagnostics);
        for broken in [
            serde_json::json!([]),
            serde_json::json!({"id": "", "member_uin": 1}),
            serde_json::json!({"id": "1#2", "member_uin": 1}),
            serde_json::json!({"id": "1001#100000000101#200000000001", "member_uin": "many"}),
        ] {
            let response = move_state(&service, "tencentcloud", ATTACHMENT, 0, broken.clone(), target).await;
            assert!(response.target_state.is_none(), "{broken}");
            let [d] = &response.diagnostics[..] else { panic!("{broken}: {:?}", response.diagnostics) };
            assert_eq!(d.summary, format!("Cannot move {ATTACHMENT} to {target}"));
            assert!(
                d.detail.ends_with(&format!("Nothing was changed: the state still holds the {ATTACHMENT} object.")),
                "{}",
                d.detail
            );
        }
        let response = move_state(&service, "tencentcloud", ATTACHMENT, 0, attachment(1), "tether_nope").await;
        assert_eq!(response.diagnostics[0].summary, "Unknown resource type");
    }
}
