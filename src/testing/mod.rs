//! Form-submission test kit.
