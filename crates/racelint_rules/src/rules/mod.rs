pub mod check_then_act;
pub mod iteration;
pub mod lazy_init;
pub mod syntax_error;
pub mod unlocked_rmw;
pub mod unused_suppression;
