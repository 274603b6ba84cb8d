//! Sessions: `LogInByAccount` (`PUT /zstack/v1/accounts/login`), `LogOut`
//! (`DELETE /zstack/v1/accounts/sessions/{uuid}`) and `ValidateSession`
//! (`GET /zstack/v1/accounts/sessions/{uuid}/valid`), all synchronous and unauthenticated.

use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::error::{ZsError, codes};
use super::model::{Session, ZStackAccount, ZStackWorld};
use crate::timefmt::zstack_datetime;

/// The login body's action keys: `logInByAccount`, and `logIn` of older API references.
const LOGIN_KEYS: [&str; 2] = ["logInByAccount", "logIn"];
/// The API message class named in parameter errors.
const LOGIN_MESSAGE: &str = "org.zstack.header.identity.APILogInByAccountMsg";

/// The account name and password (lower-hex SHA-512) of a login body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginRequest {
    pub account_name: String,
    pub password: String,
}

/// Reads `{"logInByAccount":{"accountName","password",…}}`. A body without the action key is a
/// REST-layer 400; a missing field is the API's 503 `SYS.1007`.
pub fn parse_login(body: &Map<String, Value>) -> Result<LoginRequest, ZsError> {
    let Some(params) = LOGIN_KEYS.iter().find_map(|key| body.get(*key)) else {
        return Err(ZsError::bad_request("the body doesn't contain action mapping to the URL[/v1/accounts/login]"));
    };
    let Value::Object(params) = params else {
        return Err(ZsError::bad_request("the login parameters must be a JSON object"));
    };
    let field = |name: &str| -> Result<String, ZsError> {
        match params.get(name) {
            None | Some(Value::Null) => Err(ZsError::invalid_argument(format!(
                "field[{name}] of message[{LOGIN_MESSAGE}] is mandatory, can not be null"
            ))),
            Some(Value::String(value)) => Ok(value.clone()),
            Some(_) => Err(ZsError::bad_request(format!("field[{name}] of message[{LOGIN_MESSAGE}] must be a string"))),
        }
    };
    Ok(LoginRequest { account_name: field("accountName")?, password: field("password")? })
}

/// The login parameters that may be logged: everything but the password.
pub fn loggable_login(body: &Map<String, Value>) -> Map<String, Value> {
    let mut logged = Map::new();
    for key in LOGIN_KEYS {
        if let Some(Value::Object(params)) = body.get(key) {
            for (name, value) in params {
                if name != "password" {
                    logged.insert(name.clone(), value.clone());
                }
            }
        }
    }
    logged
}

/// Creates a session for a matching account (the password must be the exact lower-hex SHA-512
/// the account stores). Answers the session inventory.
pub fn log_in(
    world: &mut ZStackWorld,
    accounts: &[ZStackAccount],
    request: &LoginRequest,
    now: i64,
    ttl_secs: u64,
) -> Result<Value, ZsError> {
    let Some(account) =
        accounts.iter().find(|a| a.account_name == request.account_name && a.password_sha512 == request.password)
    else {
        return Err(ZsError::failed(codes::AUTHENTICATION, "wrong account name or password"));
    };
    let ttl_ms = i64::try_from(ttl_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
    let session = Session {
        uuid: Uuid::new_v4().simple().to_string(),
        account_uuid: account.account_uuid.clone(),
        // An account login's user is the account itself.
        user_uuid: account.account_uuid.clone(),
        created_at: now,
        expires_at: now.saturating_add(ttl_ms),
    };
    let inventory = session_inventory(&session);
    world.sessions.retain(|s| s.expires_at > now);
    world.sessions.push(session);
    Ok(json!({ "inventory": inventory }))
}

fn session_inventory(session: &Session) -> Value {
    json!({
        "uuid": session.uuid,
        "accountUuid": session.account_uuid,
        "userUuid": session.user_uuid,
        "expiredDate": zstack_datetime(session.expires_at),
        "createDate": zstack_datetime(session.created_at),
    })
}

/// The live session `uuid` at `now`, if any.
pub fn live_session<'a>(world: &'a ZStackWorld, uuid: &str, now: i64) -> Option<&'a Session> {
    world.sessions.iter().find(|s| s.uuid == uuid && s.expires_at > now)
}

/// Ends session `uuid`; returns whether there was one (logging out twice is fine).
pub fn log_out(world: &mut ZStackWorld, uuid: &str) -> bool {
    let before = world.sessions.len();
    world.sessions.retain(|s| s.uuid != uuid);
    world.sessions.len() != before
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;

    #[test]
    fn login_checks_the_sha512_and_sessions_expire() {
        let seeded = fixtures::seed_at(0);
        let mut world = seeded.zstack;
        let accounts = &seeded.credentials.zstack.accounts;
        let body =
            json!({"logInByAccount": {"accountName": "admin", "password": fixtures::ZSTACK_ADMIN_PASSWORD_SHA512}});
        let request = parse_login(body.as_object().unwrap()).unwrap();
        let answer = log_in(&mut world, accounts, &request, 1_000, 60).unwrap();
        let uuid = answer["inventory"]["uuid"].as_str().unwrap().to_owned();
        assert_eq!(uuid.len(), 32);
        assert_eq!(answer["inventory"]["accountUuid"], fixtures::ZSTACK_ADMIN_UUID);
        assert!(live_session(&world, &uuid, 60_999).is_some());
        assert!(live_session(&world, &uuid, 61_000).is_none(), "expired");

        let plaintext = LoginRequest { account_name: "admin".into(), password: "password".into() };
        let err = log_in(&mut world, accounts, &plaintext, 1_000, 60).unwrap_err();
        assert_eq!((err.status, err.code()), (503, "ID.1000"));
        assert_eq!(err.error.details, "wrong account name or password");

        assert!(log_out(&mut world, &uuid));
        assert!(!log_out(&mut world, &uuid));

        let old = json!({"logIn": {"accountName": "admin", "password": "x", "accountType": "ZStack"}});
        assert_eq!(parse_login(old.as_object().unwrap()).unwrap().password, "x");
        assert_eq!(
            loggable_login(old.as_object().unwrap()),
            *json!({"accountName": "admin", "accountType": "ZStack"}).as_object().unwrap()
        );
        let err = parse_login(json!({"other": {}}).as_object().unwrap()).unwrap_err();
        assert_eq!(err.status, 400);
        let err = parse_login(json!({"logInByAccount": {"accountName": "admin"}}).as_object().unwrap()).unwrap_err();
        assert_eq!((err.status, err.code()), (503, "SYS.1007"));
    }
}
