#!/usr/bin/perl
# drive-console.pl: types lines into a program's console(s), each line once
# the console shows its prompt, as a person at a terminal would; used by
# scripts/u-boot.sh for QEMU and trapvisor alike.
#
#   drive-console.pl SECONDS PROMPT LINES stdio TRANSCRIPT -- COMMAND...
#       the console is COMMAND's stdin/stdout; everything it prints goes
#       to TRANSCRIPT (raw bytes)
#   drive-console.pl SECONDS PROMPT LINES dir DIR NAME... -- COMMAND...
#       one console per NAME: COMMAND prints into DIR/NAME.out and reads
#       DIR/NAME.in, a FIFO made here (trapvisor run --console-dir DIR)
#
# LINES is a file of lines to type (each with its newline). Exits with
# COMMAND's exit status, or 124 if it has not ended after SECONDS.
use strict;
use warnings;
use POSIX qw(mkfifo :sys_wait_h);
use Fcntl;
use IO::Handle;
use Time::HiRes qw(time sleep);

my ($seconds, $prompt, $lines_file, $mode) = splice(@ARGV, 0, 4);
open(my $lf, '<', $lines_file) or die "$lines_file: $!";
my @lines = <$lf>;
close $lf;

my @consoles;    # { out => handle to read, in => handle or path, seen => text, sent => n }
my ($transcript, $dir);
if ($mode eq 'stdio') {
    $transcript = shift @ARGV;
} elsif ($mode eq 'dir') {
    $dir = shift @ARGV;
    while (@ARGV && $ARGV[0] ne '--') {
        my $name = shift @ARGV;
        my $fifo = "$dir/$name.in";
        unlink $fifo;
        mkfifo($fifo, 0600) or die "mkfifo $fifo: $!";
        unlink "$dir/$name.out";
        push @consoles, { name => $name, fifo => $fifo, seen => '', sent => 0 };
    }
} else {
    die "mode must be stdio or dir\n";
}
shift @ARGV if @ARGV && $ARGV[0] eq '--';

my ($child_in, $child_out);
my $pid;
if ($mode eq 'stdio') {
    pipe(my $r_in, my $w_in) or die;
    pipe(my $r_out, my $w_out) or die;
    $pid = fork() // die "fork: $!";
    if ($pid == 0) {
        open(STDIN, '<&', $r_in) or die;
        open(STDOUT, '>&', $w_out) or die;
        close $w_in; close $r_out;
        exec(@ARGV) or die "exec $ARGV[0]: $!";
    }
    close $r_in; close $w_out;
    $w_in->autoflush(1);
    push @consoles, { out => $r_out, in => $w_in, seen => '', sent => 0 };
} else {
    $pid = fork() // die "fork: $!";
    if ($pid == 0) {
        open(STDIN, '<', '/dev/null') or die;
        open(STDOUT, '>', "$dir/run.stdout") or die;
        exec(@ARGV) or die "exec $ARGV[0]: $!";
    }
}

my $deadline = time + $seconds;
my $status;
while (1) {
    my $progress = 0;
    for my $c (@consoles) {
        # Open what is not open yet: the output file once the program made
        # it, the FIFO once the program reads it.
        if (!$c->{out} && -e "$dir/$c->{name}.out") {
            open($c->{out}, '<', "$dir/$c->{name}.out") or die;
        }
        if (!$c->{in} && $c->{fifo}) {
            my $w;
            if (sysopen($w, $c->{fifo}, O_WRONLY | O_NONBLOCK)) {
                my $flags = fcntl($w, F_GETFL, 0);
                fcntl($w, F_SETFL, $flags & ~O_NONBLOCK);
                $w->autoflush(1);
                $c->{in} = $w;
            }
        }
        next unless $c->{out};
        my $buf;
        if ($mode eq 'stdio') {
            my $rin = '';
            vec($rin, fileno($c->{out}), 1) = 1;
            next unless select(my $rout = $rin, undef, undef, 0.01) > 0;
            my $n = sysread($c->{out}, $buf, 4096);
            if (!$n) { $c->{eof} = 1; next; }
        } else {
            my $n = sysread($c->{out}, $buf, 4096);
            next unless $n;
        }
        $c->{seen} .= $buf;
        $progress = 1;
        # A prompt at the end, and fewer lines typed than prompts shown:
        # type the next line.
        my $prompts = () = $c->{seen} =~ /\Q$prompt\E/g;
        if ($c->{in} && $c->{sent} < @lines && $prompts > $c->{sent}
            && substr($c->{seen}, -length $prompt) eq $prompt) {
            syswrite($c->{in}, $lines[$c->{sent}]);
            $c->{sent}++;
        }
    }
    if (!defined $status && waitpid($pid, WNOHANG) == $pid) {
        $status = $? & 127 ? 128 + ($? & 127) : $? >> 8;
        $deadline = time + 2 if $deadline > time + 2;    # drain what is left
    }
    if (defined $status && !$progress) {
        last if $mode eq 'dir' || grep { $_->{eof} } @consoles;
    }
    if (time > $deadline) {
        if (!defined $status) {
            kill 'TERM', $pid;
            waitpid($pid, 0);
            $status = 124;
        }
        last;
    }
    sleep 0.01 unless $progress;
}
if ($mode eq 'stdio') {
    open(my $t, '>', $transcript) or die "$transcript: $!";
    print $t $consoles[0]{seen};
    close $t;
}
exit $status;
