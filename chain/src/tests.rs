//! The test vectors of docs/contract.md §15, byte for byte.

use chrono::{TimeZone, Utc};

use super::{Digest, GENESIS, Revision};

fn first() -> Revision<'static> {
    Revision {
        student_id: 42,
        version: 1,
        action: "created",
        name: "José García",
        student_number: Some("S-1001"),
        address: "Calle Mayor 5\nMadrid",
        gpa_hundredths: 350,
        confidential: false,
        registrar: "ada",
        at: Utc.with_ymd_and_hms(2026, 12, 7, 9, 30, 0).unwrap()
            + chrono::Duration::microseconds(123_456),
        reason: None,
    }
}

fn second() -> Revision<'static> {
    Revision {
        version: 2,
        action: "updated",
        student_number: None,
        gpa_hundredths: 375,
        confidential: true,
        registrar: "grace",
        at: Utc.with_ymd_and_hms(2026, 12, 7, 10, 0, 0).unwrap()
            + chrono::Duration::microseconds(1),
        reason: Some("Grade appeal upheld"),
        ..first()
    }
}

const FIRST: &str = "7daca1bfadea2db78d3a954b499c0f6bc35c225e34ad6c7531f0276f22061886";
const SECOND: &str = "14d577bcf6db806ca97efbb073f2209bd0393610ec3f1608433990396c4dab6f";

#[test]
fn the_first_vector_encodes_and_hashes_as_the_contract_says() {
    let expected = format!(
        "21:registrar-revision-v1,2:42,1:1,7:created,13:José García,6:S-1001,\
         20:Calle Mayor 5\nMadrid,3:350,5:false,3:ada,27:2026-12-07T09:30:00.123456Z,-\
         64:{GENESIS},"
    );
    assert_eq!(
        String::from_utf8(first().encode(GENESIS)).unwrap(),
        expected
    );
    assert_eq!(first().hash(GENESIS), FIRST);
}

#[test]
fn the_second_vector_chains_on_the_first() {
    let expected = format!(
        "21:registrar-revision-v1,2:42,1:2,7:updated,13:José García,-\
         20:Calle Mayor 5\nMadrid,3:375,4:true,5:grace,27:2026-12-07T10:00:00.000001Z,\
         19:Grade appeal upheld,64:{FIRST},"
    );
    assert_eq!(String::from_utf8(second().encode(FIRST)).unwrap(), expected);
    assert_eq!(second().hash(FIRST), SECOND);
}

#[test]
fn the_digest_vector_covers_the_latest_revision() {
    let mut digest = Digest::new();
    digest.add(42, 2, SECOND);
    assert_eq!(
        digest.finish(),
        "d6badbb68bc7eeefea78938011ac0e00ff22e3b243da04c6f1f67380bc92b5d1"
    );
    assert_eq!(
        Digest::new().finish(),
        "f9a3873c66b879aea78681cd3b100e2ed86c139036d84f0560278da568a8ddfe"
    );
}

#[test]
fn absent_and_empty_values_hash_apart() {
    let absent = first();
    let empty = Revision {
        student_number: Some(""),
        ..first()
    };
    assert_ne!(absent.hash(GENESIS), empty.hash(GENESIS));
    assert_ne!(
        Revision {
            reason: Some(""),
            ..first()
        }
        .hash(GENESIS),
        absent.hash(GENESIS)
    );
}

#[test]
fn a_time_is_encoded_to_the_microsecond_never_rounded() {
    let finer = Revision {
        at: first().at + chrono::Duration::nanoseconds(999),
        ..first()
    };
    assert_eq!(finer.hash(GENESIS), FIRST);
}

#[test]
fn every_field_changes_the_hash() {
    let base = first().hash(GENESIS);
    let changed = [
        Revision {
            student_id: 43,
            ..first()
        },
        Revision {
            version: 2,
            ..first()
        },
        Revision {
            action: "imported",
            ..first()
        },
        Revision {
            name: "Jose Garcia",
            ..first()
        },
        Revision {
            address: "Calle Mayor 5 Madrid",
            ..first()
        },
        Revision {
            gpa_hundredths: 351,
            ..first()
        },
        Revision {
            confidential: true,
            ..first()
        },
        Revision {
            registrar: "grace",
            ..first()
        },
    ];
    for revision in changed {
        assert_ne!(revision.hash(GENESIS), base, "{revision:?}");
    }
    assert_ne!(first().hash(SECOND), base);
}
