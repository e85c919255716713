//! Clinical statuses as types. What a document says about a finding's course — a status cell
//! ("Resolved", "Discontinued", "On hold"), a section ("Discontinued Medications"), an end
//! date — is a [`Status`]; `dictionaries/row-status.tsv` is read into it, so a misspelt status
//! in a table is a load error, not an "active" finding. The FHIR codes each resource type
//! writes are [`crate::fhir::status`].

use std::fmt;
use std::str::FromStr;

/// The status a document states for a finding. No status means listed as current.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    /// "Active", "Status: active".
    Active,
    /// "Inactive", "Historical", "No longer active".
    Inactive,
    /// "Resolved", a resolved-problems list, an end date (conditions, allergies).
    Resolved,
    /// "Remission" (conditions).
    Remission,
    /// "Completed", a course that ended (medications).
    Completed,
    /// "Discontinued", "Stopped", "D/C'd" (medications).
    Stopped,
    /// "Held", "On hold" (medications).
    OnHold,
    /// "Not taking" (medications).
    NotTaken,
}

impl Status {
    /// Every status, in declaration order.
    pub const ALL: [Status; 8] = [
        Status::Active,
        Status::Inactive,
        Status::Resolved,
        Status::Remission,
        Status::Completed,
        Status::Stopped,
        Status::OnHold,
        Status::NotTaken,
    ];

    /// The status as the tables (and the conflict notes of the output) write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Inactive => "inactive",
            Status::Resolved => "resolved",
            Status::Remission => "remission",
            Status::Completed => "completed",
            Status::Stopped => "stopped",
            Status::OnHold => "on-hold",
            Status::NotTaken => "not-taken",
        }
    }
}

impl FromStr for Status {
    type Err = String;

    fn from_str(s: &str) -> Result<Status, String> {
        Status::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| {
                let known: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
                format!(
                    "unknown status {s:?} (expected one of {})",
                    known.join(", ")
                )
            })
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which findings a status word applies to (`row-status.tsv`'s `applies` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Applies {
    /// Every kind of finding.
    All,
    /// Allergies only.
    Allergy,
    /// Medications only ("Discontinued").
    Medication,
    /// Conditions only ("Remission").
    Condition,
}

impl FromStr for Applies {
    type Err = String;

    fn from_str(s: &str) -> Result<Applies, String> {
        Ok(match s {
            "all" => Applies::All,
            "allergy" => Applies::Allergy,
            "medication" => Applies::Medication,
            "condition" => Applies::Condition,
            other => {
                return Err(format!(
                    "unknown `applies` {other:?} (expected all, allergy, medication or condition)"
                ));
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_back_what_they_write() {
        for s in Status::ALL {
            assert_eq!(s.as_str().parse::<Status>(), Ok(s));
        }
        let err = "stoped".parse::<Status>().unwrap_err();
        assert!(err.contains("\"stoped\""), "{err}");
        assert_eq!("all".parse::<Applies>(), Ok(Applies::All));
        assert!("medications".parse::<Applies>().is_err());
    }
}
