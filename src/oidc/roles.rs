//! `--oidc-roles CLAIM:VALUE=ROLE,…`: the role an ID token's claims give.

use serde_json::{Map, Value};

use crate::domain::Role;

/// One rule: the claim `claim` holds `value` (is it, or is a list with it).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    claim: String,
    value: String,
    role: Role,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleMap(Vec<Rule>);

impl RoleMap {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut rules = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let bad = || format!("{part:?} is not CLAIM:VALUE=ROLE");
            let (condition, role) = part.rsplit_once('=').ok_or_else(bad)?;
            let (claim, value) = condition.split_once(':').ok_or_else(bad)?;
            let role = Role::parse(role)
                .ok_or_else(|| format!("{part:?}: the role is viewer, registrar or admin"))?;
            if claim.trim().is_empty() || value.trim().is_empty() {
                return Err(bad());
            }
            rules.push(Rule {
                claim: claim.trim().to_owned(),
                value: value.trim().to_owned(),
                role,
            });
        }
        if rules.is_empty() {
            return Err("give at least one CLAIM:VALUE=ROLE".to_owned());
        }
        Ok(RoleMap(rules))
    }

    /// The highest role whose rule the claims match, if any.
    pub fn role_for(&self, claims: &Map<String, Value>) -> Option<Role> {
        self.0
            .iter()
            .filter(|rule| {
                claims
                    .get(&rule.claim)
                    .is_some_and(|v| holds(v, &rule.value))
            })
            .map(|rule| rule.role)
            .max()
    }

    /// The claims the rules read, for the refusal page.
    pub fn claims(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.0.iter().map(|r| r.claim.as_str()).collect();
        names.dedup();
        names
    }
}

fn holds(claim: &Value, wanted: &str) -> bool {
    match claim {
        Value::String(text) => text == wanted,
        Value::Array(items) => items.iter().any(|item| item.as_str() == Some(wanted)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::RoleMap;
    use crate::domain::Role;

    fn claims(value: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn the_highest_matching_role_wins_and_none_matching_gives_none() {
        let map = RoleMap::parse(
            "groups:registry-admins=admin, groups:registry=registrar,groups:staff=viewer",
        )
        .unwrap();
        let role = |v| map.role_for(&claims(v));
        assert_eq!(role(json!({"groups": ["staff"]})), Some(Role::Viewer));
        assert_eq!(
            role(json!({"groups": ["staff", "registry-admins", "registry"]})),
            Some(Role::Admin)
        );
        assert_eq!(role(json!({"groups": "registry"})), Some(Role::Registrar));
        assert_eq!(role(json!({"groups": ["Registry"]})), None);
        assert_eq!(role(json!({"groups": []})), None);
        assert_eq!(role(json!({"roles": ["registry"]})), None);
        assert_eq!(role(json!({})), None);
    }

    #[test]
    fn a_rule_that_is_not_claim_value_role_is_refused() {
        for bad in [
            "",
            "groups=admin",
            "groups:x=boss",
            ":x=admin",
            "groups:=admin",
        ] {
            assert!(RoleMap::parse(bad).is_err(), "{bad:?}");
        }
        // A value may hold `:` (URNs) and `=` is the last one.
        let map = RoleMap::parse("roles:urn:x:registry=registrar").unwrap();
        assert_eq!(
            map.role_for(&claims(json!({"roles": ["urn:x:registry"]}))),
            Some(Role::Registrar)
        );
    }
}
