pub mod syntax_error;
pub mod unlocked_rmw;
