//! Whole screens: the login form and the logged-in workspace.

pub mod login;
pub mod workspace;
