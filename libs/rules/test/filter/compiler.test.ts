import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Expr } from '../../src/filter/ast.ts';
import { compileCondition, type CompileEnv } from '../../src/filter/compiler.ts';
import { FilterCompileError } from '../../src/filter/errors.ts';
import { parseCondition } from '../../src/filter/parser.ts';
import { BATCH, EVENTS, type EventName } from './fixture.ts';

const EMPTY: CompileEnv = { macros: new Map(), lists: new Map() };

function matches(cond: string, ev: EventName, env: CompileEnv = EMPTY): boolean {
  return compileCondition(parseCondition(cond), env).match(BATCH, EVENTS[ev]);
}

// [condition, event, expected]
const OPERATORS: Array<[string, EventName, boolean]> = [
  // equality on strings
  ['proc.name = bash', 'openShadow', true],
  ['proc.name == bash', 'openShadow', true],
  ['proc.name = Bash', 'openShadow', false],
  ['proc.name != bash', 'openShadow', false],
  ['proc.name != zsh', 'openShadow', true],
  ['proc.name = "bash"', 'openShadow', true],
  ["proc.name = 'bash'", 'openShadow', true],
  // ordering on strings is lexicographic (the grammar takes only numbers or fields after < and >)
  ['proc.name < val(proc.pname)', 'openShadow', true],
  ['proc.name <= val(proc.name)', 'openShadow', true],
  ['proc.name > val(proc.pname)', 'openShadow', false],
  ['proc.pname >= val(proc.name)', 'openShadow', true],
  // substring family
  ['fd.name contains shad', 'openShadow', true],
  ['fd.name contains SHAD', 'openShadow', false],
  ['fd.name icontains SHAD', 'openShadow', true],
  ['fd.name icontains "E.C"', 'openShadow', false],
  ['fd.name startswith /etc/', 'openShadow', true],
  ['fd.name startswith etc', 'openShadow', false],
  ['fd.name endswith dow', 'openShadow', true],
  ['fd.name endswith /etc', 'openShadow', false],
  ['proc.cmdline contains "echo hi"', 'execSh', true],
  ['proc.cmdline startswith "sh -c"', 'execSh', true],
  // bytes: hex literals against the value's bytes
  ['fd.name bcontains 736861646f77', 'openShadow', true],
  ['fd.name bcontains 736861646f78', 'openShadow', false],
  ['fd.name bstartswith 2f657463', 'openShadow', true],
  ['fd.name bstartswith 657463', 'openShadow', false],
  // glob (fnmatch without flags: * crosses /) and iglob
  ['fd.name glob "/etc/*"', 'openShadow', true],
  ['fd.name glob "*shad?w"', 'openShadow', true],
  ['fd.name glob "/etc/[rs]hadow"', 'openShadow', true],
  ['fd.name glob "/etc/[!s]hadow"', 'openShadow', false],
  ['fd.name glob "/ETC/*"', 'openShadow', false],
  ['fd.name iglob "/ETC/*"', 'openShadow', true],
  ['fd.name glob "*"', 'openShadow', true],
  ['fd.name glob "/etc"', 'openShadow', false],
  ['fd.name glob "/e.c/*"', 'openShadow', false],
  // regex: a full match
  ['fd.name regex "/etc/sha.ow"', 'openShadow', true],
  ['fd.name regex "sha.ow"', 'openShadow', false],
  ['fd.name regex ".*sha.ow"', 'openShadow', true],
  ['proc.name regex "(ba|z)sh"', 'openShadow', true],
  // in / intersects / pmatch
  ['proc.name in (zsh, bash)', 'openShadow', true],
  ['proc.name in (zsh, ksh)', 'openShadow', false],
  ['proc.name in ()', 'openShadow', false],
  ['proc.name in (bash)', 'openShadow', true],
  ['proc.name intersects (bash, sh)', 'openShadow', true],
  ['proc.name intersects (zsh)', 'openShadow', false],
  ['fd.name pmatch (/etc)', 'openShadow', true],
  ['fd.name pmatch (/et)', 'openShadow', false],
  ['fd.name pmatch (/usr, /etc/shadow)', 'openShadow', true],
  ['fd.name pmatch (/etc/shadow/x)', 'openShadow', false],
  ['fd.name pmatch (/)', 'openShadow', true],
  ['fd.name pmatch (/usr/local)', 'writeBin', true],
  ['fd.name pmatch (/usr/local/b)', 'writeBin', false],
  // list modifiers on string operators
  ['fd.name startswith anyof (/usr, /etc)', 'openShadow', true],
  ['fd.name startswith anyof (/usr, /var)', 'openShadow', false],
  ['fd.name startswith allof (/etc, /etc/sh)', 'openShadow', true],
  ['fd.name startswith allof (/etc, /usr)', 'openShadow', false],
  ['fd.name startswith oneof (/etc, /usr)', 'openShadow', true],
  ['fd.name startswith oneof (/etc, /etc/sh)', 'openShadow', false],
  ['fd.name contains anyof (shad, passwd)', 'openShadow', true],
  ['fd.name icontains allof (ETC, SHADOW)', 'openShadow', true],
  ['fd.name endswith anyof (dow, wd)', 'openShadow', true],
  ['fd.name glob anyof ("/usr/*", "/etc/s*")', 'openShadow', true],
  ['fd.name regex oneof ("/etc/.*", ".*passwd")', 'openShadow', true],
  ['proc.name = anyof (zsh, bash)', 'openShadow', true],
  ['proc.name = allof (bash, bash)', 'openShadow', true],
  ['proc.name = allof (bash, zsh)', 'openShadow', false],
  ['proc.name != anyof (bash, zsh)', 'openShadow', true],
  ['proc.name != allof (bash, zsh)', 'openShadow', false],
  ['proc.name != allof (ksh, zsh)', 'openShadow', true],
  ['fd.name bstartswith anyof (2f757372, 2f657463)', 'openShadow', true],
  ['proc.aname startswith anyof (cron, sys)', 'openShadow', true],
  ['fd.name startswith anyof (/etc)', 'execSh', false],
  ['fd.name != anyof (/x)', 'execSh', false],
  ['proc.name = anyof ()', 'openShadow', false],
  ['proc.name != allof ()', 'openShadow', true],
  // numbers
  ['proc.pid = 4242', 'openShadow', true],
  ['proc.pid = 0x1092', 'openShadow', true],
  ['proc.pid != 4242', 'openShadow', false],
  ['proc.pid < 5000', 'openShadow', true],
  ['proc.pid <= 4242', 'openShadow', true],
  ['proc.pid > 4242', 'openShadow', false],
  ['proc.pid >= 4242', 'openShadow', true],
  ['proc.pid in (1, 4242)', 'openShadow', true],
  ['proc.pid in (1, 2)', 'openShadow', false],
  ['user.loginuid = -1', 'execSh', true],
  ['user.loginuid != -1', 'openShadow', true],
  ['evt.rawres < 0', 'writeBin', true],
  ['evt.rawres >= 0', 'openShadow', true],
  ['evt.rawres = -13', 'writeBin', true],
  ['fd.num > 2.5', 'openShadow', true],
  ['proc.tty != 0', 'openShadow', true],
  ['proc.tty = 0', 'execSh', true],
  ['proc.duration > 1000000000', 'openShadow', true],
  ['proc.duration < 1000000000', 'openShadow', false],
  ['evt.rawtime > 1764326212000000000', 'openShadow', true],
  // booleans
  ['evt.failed = true', 'writeBin', true],
  ['evt.failed = false', 'openShadow', true],
  ['evt.failed != true', 'openShadow', true],
  ['evt.is_open_read = true', 'openShadow', true],
  ['evt.is_open_write = true', 'openShadow', false],
  ['evt.is_open_write = true', 'writeBin', true],
  ['evt.is_open_read = true', 'writeBin', false],
  ['container.privileged = true', 'execSh', true],
  ['container.privileged in (true)', 'execSh', true],
  ['proc.is_exe_upper_layer = true', 'execSh', true],
  ['proc.is_exe_from_memfd = true', 'openShadow', false],
  // IPs and networks
  ['fd.sip = 93.184.216.34', 'connect', true],
  ['fd.sip = 10.1.2.3', 'connect', false],
  ['fd.cip = 10.1.2.3', 'connect', true],
  ['fd.ip = 10.1.2.3', 'connect', true],
  ['fd.ip = 93.184.216.34', 'connect', true],
  ['fd.ip = 1.2.3.4', 'connect', false],
  ['fd.ip != 1.2.3.4', 'connect', true],
  ['fd.lip = 10.1.2.3', 'connect', true],
  ['fd.rip = 93.184.216.34', 'connect', true],
  ['fd.sip in (1.1.1.1, 93.184.216.34)', 'connect', true],
  ['fd.sip in (10.0.0.0/8)', 'connect', false],
  ['fd.cip in (10.0.0.0/8)', 'connect', true],
  ['fd.net = 10.0.0.0/8', 'connect', true],
  ['fd.net = 93.184.0.0/16', 'connect', true],
  ['fd.net = 192.168.0.0/16', 'connect', false],
  ['fd.net != 192.168.0.0/16', 'connect', true],
  ['fd.snet = 93.184.216.0/24', 'connect', true],
  ['fd.cnet = 93.184.216.0/24', 'connect', false],
  ['fd.rnet in (172.16.0.0/12, 93.0.0.0/8)', 'connect', true],
  ['fd.net = 0.0.0.0/0', 'connect', true],
  ['fd.net = 10.1.2.3', 'connect', true],
  ['fd.ip = ::1', 'serverConnect', true],
  ['fd.ip = 2001:db8:0:0:0:0:0:5', 'serverConnect', true],
  ['fd.lip = 0:0:0:0:0:0:0:1', 'serverConnect', true],
  ['fd.rip = 2001:db8::5', 'serverConnect', true],
  ['fd.net = 2001:db8::/32', 'serverConnect', true],
  ['fd.net = 2001:db9::/32', 'serverConnect', false],
  ['fd.net = 10.0.0.0/8', 'serverConnect', false],
  ['fd.sport = 443', 'connect', true],
  ['fd.cport = 43210', 'connect', true],
  ['fd.lport = 8080', 'serverConnect', true],
  ['fd.rport = 51000', 'serverConnect', true],
  ['fd.port in (443)', 'connect', true],
  ['fd.port = 43210', 'connect', true],
  ['fd.port = 80', 'connect', false],
  ['fd.l4proto = tcp', 'connect', true],
  ['fd.is_server = true', 'serverConnect', true],
  ['fd.is_server = true', 'connect', false],
  // exists and absent values: a missing value fails every check, != included
  ['proc.name exists', 'openShadow', true],
  ['fd.name exists', 'execSh', false],
  ['fd.name != /etc/shadow', 'execSh', false],
  ['not fd.name = /etc/shadow', 'execSh', true],
  ['fd.sip exists', 'openShadow', false],
  ['fd.sip != 1.2.3.4', 'openShadow', false],
  ['evt.res exists', 'openShadowEnter', false],
  ['evt.res = SUCCESS', 'openShadow', true],
  ['evt.res != SUCCESS', 'writeBin', true],
  ['evt.res = EACCES', 'writeBin', true],
  ['evt.res != SUCCESS', 'openShadowEnter', false],
  ['proc.aname[2] exists', 'execSh', false],
  ['proc.aname[2] != x', 'execSh', false],
  ['container.id = host', 'openShadow', true],
  ['container.image.repository exists', 'openShadow', false],
  ['container.image.repository != nginx', 'openShadow', false],
  ['proc.env[NOPE] exists', 'openShadow', false],
  ['proc.env[EMPTY] exists', 'openShadow', true],
  ['proc.env[EMPTY] = ""', 'openShadow', true],
  ['proc.env exists', 'execSh', false],
  ['k8s.ns.name exists', 'openShadow', false],
  ['proc.exe_ino.ctime exists', 'openShadow', false],
  // ancestors: indexed, and any ancestor without an index
  ['proc.aname[0] = bash', 'openShadow', true],
  ['proc.aname[1] = sshd', 'openShadow', true],
  ['proc.aname[2] = systemd', 'openShadow', true],
  ['proc.aname = systemd', 'openShadow', true],
  ['proc.aname = sshd', 'openShadow', true],
  ['proc.aname = bash', 'openShadow', false],
  ['proc.aname in (cron, sshd)', 'openShadow', true],
  ['proc.aname in (cron, atd)', 'openShadow', false],
  ['proc.aname startswith sys', 'openShadow', true],
  ['proc.apid = 1', 'openShadow', true],
  ['proc.apid[1] = 812', 'openShadow', true],
  ['proc.aexepath[1] = /usr/sbin/sshd', 'openShadow', true],
  ['proc.pname = nginx', 'execSh', true],
  ['proc.aname = systemd', 'execSh', false],
  // field arguments and dotted forms
  ['proc.env[HOME] = /home/alice', 'openShadow', true],
  ['proc.env.HOME = /home/alice', 'openShadow', true],
  ['proc.env contains "TERM=xterm"', 'openShadow', true],
  ['k8s.pod.label[app] = web', 'execSh', true],
  ['k8s.pod.label.app = web', 'execSh', true],
  ["k8s.pod.label['app.kubernetes.io/name'] = nginx", 'execSh', true],
  ['k8s.ns.label[team] = payments', 'execSh', true],
  ['k8s.pod.label[nope] exists', 'execSh', false],
  ['evt.arg.name = /etc/shadow', 'openShadow', true],
  ['evt.arg[name] = /etc/shadow', 'openShadow', true],
  ['evt.arg[2] = /etc/shadow', 'openShadow', true],
  ['evt.arg[0] = "<f>/etc/shadow"', 'openShadow', true],
  ['evt.arg[1] = AT_FDCWD', 'openShadow', true],
  ['evt.rawarg.dirfd = -100', 'openShadow', true],
  ['evt.arg[42] exists', 'openShadow', false],
  ['evt.arg.name exists', 'execSh', false],
  ['evt.arg.exe = sh', 'execSh', true],
  ['evt.arg.args = "-c.echo hi > /tmp/x."', 'execSh', true],
  ['evt.rawarg.flags = 4097', 'openShadow', true],
  ['evt.arg.flags = "O_RDONLY|O_CLOEXEC"', 'openShadow', true],
  ['evt.arg.flags contains O_TRUNC', 'writeBin', true],
  ['evt.arg.flags contains O_TRUNC', 'openShadow', false],
  ['evt.arg.flags contains O_CREAT and evt.arg.flags contains O_WRONLY', 'writeBin', true],
  ['evt.arg.flags contains O_DIRECTORY', 'threadOpen', true],
  ['evt.arg.mode = 0755', 'writeBin', true],
  ['evt.arg.fd = "<f>/etc/shadow"', 'openShadow', true],
  ['evt.arg.dirfd = AT_FDCWD', 'openShadow', true],
  ['evt.arg.fd = EACCES', 'writeBin', true],
  ['evt.arg.uid = nginx', 'setuidNginx', true],
  ['evt.arg.uid = 4321', 'setuidUnknown', true],
  ['evt.rawarg.uid = 101', 'setuidNginx', true],
  ['evt.arg.res = 0', 'execSh', true],
  ['evt.is_open_exec = true', 'writeBin', true],
  ['evt.rawarg.res = 0', 'execSh', true],
  ['evt.rawarg.fd < 0', 'writeBin', true],
  ['evt.rawarg.res exists', 'writeBin', false],
  ['container.mount.dest[/var/run/docker.sock] exists', 'execSh', true],
  ['container.mount.source[1] = /srv/www', 'execSh', true],
  ['container.mount.mode[/var/www] = ro', 'execSh', true],
  ['thread.cap_effective contains CAP_SYS_ADMIN', 'openShadow', true],
  ['thread.cap_effective icontains sys_admin', 'openShadow', true],
  ['thread.cap_effective contains CAP_SYS_ADMIN', 'execSh', false],
  ['thread.tid = 4243', 'threadOpen', true],
  ['thread.vtid exists', 'threadOpen', false],
  ['thread.vtid = 4242', 'openShadow', true],
  // transformers
  ['tolower(proc.name) = bash', 'openShadow', true],
  ['toupper(proc.name) = BASH', 'openShadow', true],
  ['toupper(proc.name) = bash', 'openShadow', false],
  ['tolower(k8s.pod.label[app]) = web', 'execSh', true],
  ['basename(proc.exepath) = bash', 'openShadow', true],
  ['basename(fd.name) in (shadow, passwd)', 'openShadow', true],
  ['len(proc.name) = 4', 'openShadow', true],
  ['len(proc.name) > 4', 'openShadow', false],
  ['len(fd.name) >= 11', 'openShadow', true],
  ['len(proc.aname) = 2', 'openShadow', true],
  ['b64(proc.env[B64]) = x', 'openShadow', false],
  ['toupper(tolower(proc.name)) = BASH', 'openShadow', true],
  ['len(basename(fd.name)) = 6', 'openShadow', true],
  ['tolower(proc.aname) = sshd', 'openShadow', true],
  // val(): both sides from the event
  ['proc.name = val(proc.name)', 'openShadow', true],
  ['proc.name = val(proc.pname)', 'openShadow', false],
  ['proc.name != val(proc.pname)', 'openShadow', true],
  ['proc.pid > val(proc.ppid)', 'openShadow', true],
  ['proc.pid < val(proc.ppid)', 'openShadow', false],
  ['fd.name startswith val(proc.cwd)', 'openShadow', false],
  ['proc.exepath endswith val(proc.name)', 'openShadow', true],
  ['user.homedir = val(proc.env[HOME])', 'openShadow', true],
  ['proc.name = val(fd.name)', 'execSh', false],
  ['proc.name != val(fd.name)', 'execSh', false],
  ['proc.name = toupper(proc.name)', 'openShadow', false],
  ['toupper(proc.name) = toupper(proc.name)', 'openShadow', true],
  // evt fields
  ['evt.type = openat', 'openShadow', true],
  ['evt.type in (open, openat, openat2)', 'openShadow', true],
  ['evt.type = execve', 'openShadow', false],
  ['evt.type != openat', 'openShadow', false],
  ['evt.type != openat', 'execSh', true],
  ['evt.type in (nosuchevent)', 'openShadow', false],
  ['evt.type != nosuchevent', 'openShadow', true],
  ['evt.type = anyof (execve, openat)', 'openShadow', true],
  ['evt.type intersects (openat)', 'openShadow', true],
  ['not evt.type in (execve, connect)', 'openShadow', true],
  ['evt.dir = <', 'openShadow', true],
  ['evt.dir = ">"', 'openShadowEnter', true],
  ['evt.category = file', 'openShadow', true],
  ['evt.hostname = node-a', 'openShadow', true],
  ['evt.num > 0', 'openShadow', true],
  ['evt.args contains "name=/etc/shadow"', 'openShadow', true],
  ['evt.is_open_exec = true', 'openShadow', false],
  // user, group, container, k8s
  ['user.name = alice and user.uid = 1000', 'openShadow', true],
  ['user.loginname = alice', 'openShadow', true],
  ['group.name = staff and group.gid = 1000', 'openShadow', true],
  ['user.name = nginx', 'serverConnect', true],
  ['container.id = 3ad7b26ded6d', 'execSh', true],
  ['container.full_id startswith 3ad7b26ded6d8e7b', 'execSh', true],
  ['container.name = web', 'execSh', true],
  ['container.image.repository = docker.io/library/nginx', 'execSh', true],
  ['container.image.tag = "1.25"', 'execSh', true],
  ['container.image = docker.io/library/nginx:1.25', 'execSh', true],
  ['k8s.ns.name = shop and k8s.pod.name = web-7d9f', 'execSh', true],
  ['k8s.deployment.name = web', 'execSh', true],
  ['k8s.daemonset.name exists', 'execSh', false],
  ['proc.sname = nginx', 'execSh', true],
  ['proc.vpgid.name = nginx', 'execSh', true],
  ['proc.is_vpgid_leader = false', 'execSh', true],
  ['proc.is_vpgid_leader = true', 'openShadow', true],
  ['proc.vpid = 7', 'execSh', true],
  ['fd.directory = /etc and fd.filename = shadow', 'openShadow', true],
  ['fd.typechar = f and fd.type = file', 'openShadow', true],
  ['fd.typechar = u and fd.sockfamily = unix', 'orphanConnect', true],
  ['fd.directory exists', 'connect', false],
  // open events without an fd answer from the event, as libsinsp (upstream's open_file_failed macro)
  ["evt.type in (open,openat,openat2) and fd.typechar='f' and fd.num=-1 and evt.res startswith E", 'failedOpen', true],
  ['fd.name = /var/www/missing.conf and fd.directory = /var/www', 'failedOpen', true],
  ['fd.filename exists', 'failedOpen', false],
  ['fd.type exists', 'failedOpen', false],
  ['fd.num = -1 and fd.typechar = f', 'openShadowEnter', true],
  ['fd.name exists', 'openShadowEnter', false],
  ['fd.num exists', 'execSh', false],
  // boolean structure
  ['proc.name = bash and fd.name = /etc/shadow', 'openShadow', true],
  ['proc.name = bash and fd.name = /etc/passwd', 'openShadow', false],
  ['proc.name = zsh or fd.name = /etc/shadow', 'openShadow', true],
  ['proc.name = zsh or proc.name = ksh or proc.name = bash or proc.name = sh', 'openShadow', true],
  ['proc.name = bash and proc.pid = 4242 and user.uid = 1000 and fd.num = 3', 'openShadow', true],
  ['proc.name = bash and proc.pid = 4242 and user.uid = 1000 and fd.num = 4', 'openShadow', false],
  ['not proc.name = bash', 'openShadow', false],
  ['not not proc.name = bash', 'openShadow', true],
  ['proc.name = zsh and fd.num = 3 or proc.pid = 4242', 'openShadow', true],
  ['proc.name = zsh and (fd.num = 3 or proc.pid = 4242)', 'openShadow', false],
  ['not (proc.name = zsh or proc.name = ksh)', 'openShadow', true],
];

describe('compiler: operators, fields, NA and structure', () => {
  for (const [cond, ev, expected] of OPERATORS) {
    test(`${cond} on ${ev} → ${expected}`, () => assert.equal(matches(cond, ev), expected));
  }
});

function env(macros: Record<string, string>, lists: Record<string, string[]>, skipUnknownFilter = false): CompileEnv {
  return {
    macros: new Map(Object.entries(macros).map(([k, v]) => [k, parseCondition(v)] as [string, Expr])),
    lists: new Map(Object.entries(lists)),
    skipUnknownFilter,
  };
}

const MACROS_LISTS = env(
  {
    open_read: 'evt.type in (open, openat, openat2) and evt.is_open_read = true and fd.typechar = f',
    shell_procs: 'proc.name in (shell_binaries)',
    interactive: 'proc.tty != 0',
    nested: 'shell_procs and interactive',
    never: 'proc.pid < 0',
    sensitive: 'fd.name in (sensitive_files) or fd.directory in (sensitive_dirs)',
  },
  {
    shell_binaries: ['ash', 'bash', 'csh', 'ksh', 'sh', 'tcsh', 'zsh', 'dash'],
    sensitive_file_names: ['/etc/shadow', '/etc/sudoers'],
    sensitive_files: ['sensitive_file_names', '/etc/pam.conf'],
    sensitive_dirs: ['/etc/sudoers.d', '/etc/pam.d'],
    quoted: ['"a b"', "'it\\'s'", 'plain'],
    empty: [],
  },
);

// [condition, event, expected]
const MACRO_CASES: Array<[string, EventName, boolean]> = [
  ['open_read', 'openShadow', true],
  ['open_read', 'writeBin', false],
  ['shell_procs', 'openShadow', true],
  ['proc.name = anyof (shell_binaries)', 'execSh', true],
  ['proc.cmdline startswith anyof (fish, shell_binaries)', 'execSh', true],
  ['shell_procs', 'serverConnect', false],
  ['nested', 'openShadow', true],
  ['nested', 'execSh', false],
  ['not nested', 'execSh', true],
  ['open_read and sensitive', 'openShadow', true],
  ['never or shell_procs', 'execSh', true],
  ['never and shell_procs', 'execSh', false],
  ['proc.name in (shell_binaries)', 'execSh', true],
  ['proc.name in shell_binaries', 'execSh', true],
  ['proc.name in (fish, shell_binaries)', 'openShadow', true],
  ['proc.name in (fish, shell_binaries, nginx)', 'serverConnect', true],
  ['fd.name in (sensitive_files)', 'openShadow', true],
  ['fd.name in (sensitive_file_names)', 'openShadow', true],
  ['fd.name pmatch (sensitive_dirs, /etc)', 'openShadow', true],
  ['proc.name in (empty)', 'openShadow', false],
  ['proc.name in (unknown_list_is_a_literal)', 'openShadow', false],
  ['proc.name = shell_binaries', 'openShadow', false],
  ['proc.cmdline in (quoted)', 'openShadow', false],
  ['proc.name intersects (shell_binaries)', 'openShadow', true],
];

describe('compiler: macros and lists', () => {
  for (const [cond, ev, expected] of MACRO_CASES) {
    test(`${cond} on ${ev} → ${expected}`, () => assert.equal(matches(cond, ev, MACROS_LISTS), expected));
  }
  test('quoted list items are unquoted and unescaped', () => {
    const lists = new Map([['q', ['"bash"', "'it\\'s'"]]]);
    assert.equal(matches('proc.name in (q)', 'openShadow', { macros: new Map(), lists }), true);
    assert.equal(matches("proc.name in (q) or proc.cmdline in (q)", 'serverConnect', { macros: new Map(), lists }), false);
  });
  test('used macros and lists are reported, transitively', () => {
    const c = compileCondition(parseCondition('nested and open_read and fd.name in (sensitive_files)'), MACROS_LISTS);
    assert.deepEqual([...c.usedMacros].sort(), ['interactive', 'nested', 'open_read', 'shell_procs']);
    assert.deepEqual([...c.usedLists].sort(), ['sensitive_file_names', 'sensitive_files', 'shell_binaries']);
  });
});

// [condition, expected gate: sorted evt.type names, or null for "any type"]
const GATES: Array<[string, string[] | null]> = [
  ['evt.type = openat', ['openat']],
  ['evt.type == openat', ['openat']],
  ['evt.type in (open, openat)', ['open', 'openat']],
  ['proc.name = bash', null],
  ['evt.type = openat and proc.name = bash', ['openat']],
  ['evt.type = openat or proc.name = bash', null],
  ['evt.type = openat or evt.type = execve', ['execve', 'openat']],
  ['evt.type in (open, openat) and evt.type in (openat, execve)', ['openat']],
  ['evt.type = open and evt.type = execve', []],
  ['evt.type != openat', null],
  ['not evt.type = openat', null],
  ['not evt.type != openat', ['openat']],
  ['evt.type != openat and evt.type in (openat, execve)', ['execve']],
  ['not (evt.type = openat or proc.name = bash) and evt.type in (openat, execve)', ['execve']],
  ['not (evt.type = openat and proc.name = bash)', null],
  ['not (evt.type != openat or proc.name = bash)', ['openat']],
  ['open_read', ['open', 'openat', 'openat2']],
  ['open_read and shell_procs', ['open', 'openat', 'openat2']],
  ['open_read or evt.type = execve', ['execve', 'open', 'openat', 'openat2']],
  ['evt.type in (shell_binaries)', ['ash', 'bash', 'csh', 'dash', 'ksh', 'sh', 'tcsh', 'zsh']],
  ['evt.type startswith open', null],
  ['evt.type = val(proc.name)', null],
  ['tolower(evt.type) = openat', null],
  ['evt.type exists', null],
  ['evt.type = anyof (open, openat)', ['open', 'openat']],
  ['evt.type = oneof (openat)', ['openat']],
  ['evt.type = allof (openat)', null],
  ['evt.type startswith anyof (open)', null],
  ['not evt.type != anyof (openat)', null],
];

describe('compiler: the evt.type gate, as Falco computes it', () => {
  for (const [cond, expected] of GATES) {
    test(`${cond} → ${expected === null ? 'any' : expected.join(',')}`, () => {
      const gate = compileCondition(parseCondition(cond), MACROS_LISTS).eventTypes;
      assert.deepEqual(gate === null ? null : [...gate].sort(), expected);
    });
  }
});

// [condition, reason pattern, line, col] — errors carry the place of the offending node
const COMPILE_ERRORS: Array<[string, RegExp, number, number]> = [
  ['proc.nme = bash', /unknown field 'proc.nme'/, 1, 1],
  ['proc.name = bash and\n  fd.nmae = x', /unknown field 'fd.nmae'/, 2, 3],
  ['proc.name = bash and undefined_macro', /undefined macro 'undefined_macro' used in filter/, 1, 22],
  ['proc.pid contains 1', /operator 'contains' not supported by field 'proc.pid' of type number/, 1, 1],
  ['proc.pid = abc', /'abc' is not a number for field 'proc.pid'/, 1, 12],
  ['proc.pid in (1, x)', /'x' is not a number for field 'proc.pid'/, 1, 13],
  ['evt.failed = maybe', /'maybe' is not a boolean/, 1, 14],
  ['fd.ip = 300.1.1.1', /'300.1.1.1' is not an IP address/, 1, 9],
  ['fd.net = 10.0.0.0/33', /'10.0.0.0\/33' is not an IP network/, 1, 10],
  ['fd.ip startswith 10.', /operator 'startswith' not supported by field 'fd.ip' of type ip/, 1, 1],
  ['evt.failed glob t*', /operator 'glob' not supported by field 'evt.failed' of type bool/, 1, 1],
  ['proc.aname[x] = a', /takes a numeric index, not 'x'/, 1, 1],
  ['proc.name[1] = a', /field 'proc.name' takes no argument/, 1, 1],
  ['k8s.pod.label exists', /requires an argument/, 1, 1],
  ['evt.arg.nosuchparam = x', /no event has a parameter named 'nosuchparam'/, 1, 1],
  ['tolower(proc.pid) = 1', /transformer 'tolower' needs a string field/, 1, 1],
  ['proc.name = val(proc.nope)', /unknown field 'proc.nope'/, 1, 13],
  ['fd.name regex "("', /is not a valid regular expression/, 1, 15],
  ['fd.name bcontains xyz', /is not a hex byte string/, 1, 19],
  ['proc.aname = val(proc.name)', /field 'proc.aname' has type 'string \(list\)' while the right-hand side field 'proc.name' has incompatible type 'string'/, 1, 14],
  ['proc.pid = val(proc.name)', /has incompatible type 'string'/, 1, 12],
  ['len(proc.name) = val(proc.name)', /field 'len\(proc.name\)' has type 'number'/, 1, 18],
  ['proc.pid contains anyof (1)', /operator 'contains' not supported by field 'proc.pid'/, 1, 1],
  ['fd.name regex anyof (a, "(")', /is not a valid regular expression/, 1, 21],
  ['loop_a', /macro 'loop_a' refers to itself: loop_a -> loop_b -> loop_a/, 1, 1],
  ['proc.name in (loop_list)', /list 'loop_list' refers to itself/, 1, 15],
];

const CYCLES = env({ loop_a: 'loop_b', loop_b: 'proc.name = x or loop_a' }, { loop_list: ['a', 'loop_list2'], loop_list2: ['loop_list'] });

describe('compiler: errors name the place', () => {
  for (const [cond, reason, line, col] of COMPILE_ERRORS) {
    test(JSON.stringify(cond), () => {
      assert.throws(() => compileCondition(parseCondition(cond, { file: 'r.yaml', line: 1, col: 1 }), CYCLES), (e: unknown) => {
        assert.ok(e instanceof FilterCompileError, String(e));
        assert.match(e.reason, reason);
        if (cond.startsWith('loop_a')) return true; // the cycle is reported inside the macro's own text
        assert.deepEqual([e.file, e.line, e.col], ['r.yaml', line, col]);
        return true;
      });
    });
  }

  test('an error inside a macro points into the macro text, with its own origin', () => {
    const macro = parseCondition('proc.name = x and\n    fd.nope = 1', { file: 'macros.yaml', line: 40, col: 14 });
    const e = new Map([['m', macro]]);
    assert.throws(() => compileCondition(parseCondition('m', { file: 'rule.yaml', line: 2, col: 14 }), { macros: e, lists: new Map() }), (err: unknown) => {
      assert.ok(err instanceof FilterCompileError);
      assert.equal(err.message, "macros.yaml:41:5: unknown field 'fd.nope'");
      assert.equal(err.subject, 'fd.nope');
      assert.equal(err.excerpt(), '    fd.nope = 1\n    ^');
      return true;
    });
  });

  test('skipUnknownFilter turns unknown fields into checks that never match', () => {
    const skip = { macros: new Map(), lists: new Map(), skipUnknownFilter: true };
    assert.equal(matches('proc.nope = 1 or proc.name = bash', 'openShadow', skip), true);
    assert.equal(matches('proc.nope = 1', 'openShadow', skip), false);
    assert.throws(() => matches('proc.pid contains 1', 'openShadow', skip), FilterCompileError);
  });
});

describe('compiler: prefix alternatives and pmatch lists of every size', () => {
  const many = ['/bin', '/sbin', '/usr/bin', '/usr/sbin', '/usr/local/bin', '/opt', '/srv', '/boot', '/lib', '/etc/'];
  const chain = (field: string, n: number) => many.slice(0, n).map((p) => `${field} startswith ${p}`).join(' or ');
  // [condition, event, expected]
  const CASES: Array<[string, EventName, boolean]> = [
    [chain('fd.name', 10), 'openShadow', true],
    [chain('fd.name', 9), 'openShadow', false],
    [chain('fd.name', 10), 'writeBin', true],
    [`${chain('fd.name', 9)} or proc.name = bash`, 'openShadow', true],
    [`proc.name = zsh or ${chain('fd.name', 9)}`, 'writeBin', true],
    [`${chain('fd.name', 9)} or fd.name startswith /et`, 'openShadow', true],
    [`${['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'sy'].map((x) => `proc.aname startswith ${x}`).join(' or ')}`, 'openShadow', true],
    [`${['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'ba'].map((x) => `proc.aname startswith ${x}`).join(' or ')}`, 'openShadow', false],
    [chain('fd.name', 10), 'execSh', false],
    ['fd.name pmatch (/a, /b, /c, /d, /e, /f, /g, /etc)', 'openShadow', true],
    ['fd.name pmatch (/a, /b, /c, /d, /e, /f, /g, /et)', 'openShadow', false],
    ['fd.name pmatch (/a, /b, /c, /d, /e, /f, /g, /etc/shadow/)', 'openShadow', true],
    ['fd.name pmatch (/etc/)', 'openShadow', true],
    ['fd.name pmatch (/etc/shadow)', 'openShadow', true],
    ['fd.name pmatch (/etc/sha)', 'openShadow', false],
  ];
  for (const [cond, ev, expected] of CASES) {
    test(`${cond.slice(0, 70)}… on ${ev} → ${expected}`, () => assert.equal(matches(cond, ev), expected));
  }
  test('a prefix chain on a field that cannot take startswith is still an error', () => {
    assert.throws(() => matches(chain('proc.pid', 10), 'openShadow'), FilterCompileError);
  });
});

describe('compiler: size', () => {
  test('a condition with 20,000 checks compiles and evaluates', () => {
    const cond = Array.from({ length: 20_000 }, (_, i) => `proc.pid = ${i + 100_000}`).join(' or ');
    assert.equal(matches(`${cond} or proc.name = bash`, 'openShadow'), true);
    assert.equal(matches(cond, 'openShadow'), false);
  });
});
