# shellcheck shell=bash
# berth top in a real terminal (tmux): it draws the containers, re-sorts on
# a key, and q gives the terminal back as it was.

t_top_draws_and_quits_cleanly() {
	command -v tmux >/dev/null || skip "tmux not installed"
	ctr_run topburn -- sh -c 'yes > /dev/null' >/dev/null
	ctr_run topidle -- sleep 600 >/dev/null
	local sess=berth-top-$$ screen
	on_exit tmux kill-session -t "$sess"
	tmux new-session -d -s "$sess" -x 160 -y 40 "printf 'before-top\n'; $BERTH_BIN top; echo top-exit=\$?; sleep 30"
	on_screen() { tmux capture-pane -p -t "$sess" | grep -q "$1"; }
	wait_for 10 on_screen 'topidle' || fail "top did not draw the containers"
	on_screen 'berth top' || fail "no header"
	# sorted by CPU by default: the busy container is the first row
	sleep 2
	screen=$(tmux capture-pane -p -t "$sess")
	assert_match "$(grep -m1 -E 'topburn|topidle' <<<"$screen")" 'topburn' "busiest first"
	tmux send-keys -t "$sess" i # sort by name
	sleep 1.5
	screen=$(tmux capture-pane -p -t "$sess")
	assert_match "$(grep -m1 -E 'topburn|topidle' <<<"$screen")" 'topburn' "by name, topburn < topidle"
	tmux send-keys -t "$sess" q
	wait_for 10 on_screen 'top-exit=0' || fail "top did not exit 0 on q"
	# the alternate screen is gone: the text from before top is back
	on_screen 'before-top' || fail "terminal not restored"
}

t_top_sigterm_restores_terminal() {
	command -v tmux >/dev/null || skip "tmux not installed"
	local sess=berth-top2-$$
	on_exit tmux kill-session -t "$sess"
	tmux new-session -d -s "$sess" -x 120 -y 30 "printf 'before-top\n'; $BERTH_BIN top; echo top-exit=\$?; sleep 30"
	on_screen() { tmux capture-pane -p -t "$sess" | grep -q "$1"; }
	wait_for 10 on_screen 'berth top' || fail "top did not start"
	# the pane's shell is top's parent (pkill -f would match tmux itself)
	pkill -TERM -P "$(tmux display -p -t "$sess" '#{pane_pid}')" -x berth || fail "no berth process"
	wait_for 10 on_screen 'top-exit=0' || fail "top did not exit 0 on SIGTERM"
	on_screen 'before-top' || fail "terminal not restored"
	[ "$(tmux display -p -t "$sess" '#{alternate_on}')" = 0 ] || fail "still on the alternate screen"
}

t_top_shows_a_containers_processes() {
	command -v tmux >/dev/null || skip "tmux not installed"
	ctr_run topproc -- sh -c 'yes > /dev/null & sleep 600' >/dev/null
	local sess=berth-top3-$$
	on_exit tmux kill-session -t "$sess"
	tmux new-session -d -s "$sess" -x 160 -y 40 "$BERTH_BIN top; echo top-exit=\$?; sleep 30"
	on_screen() { tmux capture-pane -p -t "$sess" | grep -q "$1"; }
	wait_for 10 on_screen 'topproc' || fail "top did not draw the container"
	# the busiest container is selected first (sorted by CPU); Enter opens it
	tmux send-keys -t "$sess" Enter
	wait_for 15 on_screen 'container topproc: 2 processes' || fail "no process view"
	wait_for 15 on_screen 'sleep 600' || fail "processes not listed"
	# users by name, from the container's /etc/passwd
	on_screen '^[0-9]\+ \+[0-9]\+ \+root \+' || fail "no user name in the process view"
	tmux send-keys -t "$sess" Escape
	wait_for 5 on_screen 'CONTAINER ID' || fail "Esc did not go back to the list"
	tmux send-keys -t "$sess" q
	wait_for 10 on_screen 'top-exit=0' || fail "top did not exit 0"
}
