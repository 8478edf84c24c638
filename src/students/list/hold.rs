//! A viewer's search never matches on an address withheld from them
//! (contract §15): on a confidential student's row, each word must be in
//! the folded name or number, the key's first and third lines
//! (`fold::search_key`: name, address, then the number if there is one).

use sea_orm::ColumnTrait;
use sea_orm::sea_query::{Condition, Expr, ExprTrait, LikeExpr};

use crate::db::entities::student;

/// The condition each matching row must also meet for a reader from whom
/// confidential addresses are withheld: not confidential, or every word
/// found outside the address line.
pub fn outside_withheld(words: &[String]) -> Condition {
    let key = || Expr::col(student::Column::SearchKey);
    let outside = words.iter().fold(Condition::all(), |all, word| {
        let word = escaped(word);
        let in_name_before_number = key().like(like(format!("%{word}%\n%\n%")));
        let in_name_of_unnumbered = Condition::all()
            .add(student::Column::StudentNumber.is_null())
            .add(key().like(like(format!("%{word}%\n%"))));
        let in_number = key().like(like(format!("%\n%\n%{word}%")));
        all.add(
            Condition::any()
                .add(in_name_before_number)
                .add(in_name_of_unnumbered)
                .add(in_number),
        )
    });
    Condition::any()
        .add(student::Column::Confidential.eq(false))
        .add(outside)
}

/// `word` with `LIKE`'s wildcards and the escape character escaped by `!`.
fn escaped(word: &str) -> String {
    let mut escaped = String::with_capacity(word.len());
    for c in word.chars() {
        if matches!(c, '%' | '_' | '!') {
            escaped.push('!');
        }
        escaped.push(c);
    }
    escaped
}

fn like(pattern: String) -> LikeExpr {
    LikeExpr::new(pattern).escape('!')
}
