# Sidekiq: a `sidekiq` server process with three threads, jobs pushed one by one and in bulk,
# a job retried from the retry set, a job that ends in the dead set (with its
# retries-exhausted hook), a job scheduled with perform_in, and the API that the Web UI and
# sidekiqmon read: stats, queues, the scheduled, retry and dead sets, processes.
$stdout.sync = true
require 'sidekiq'
require 'sidekiq/api'
require_relative 'tasks/sidekiq_jobs'

HOST = ENV.fetch('REDIS_HOST', '127.0.0.1')
PORT = ENV.fetch('REDIS_PORT', '6379')
URL = "redis://#{HOST}:#{PORT}/0".freeze
Sidekiq.configure_client { |c| c.redis = { url: URL } }

def expect(what, actual, expected)
  raise "#{what}: expected #{expected.inspect}, got #{actual.inspect}" unless actual == expected
end

def wait_for(what, timeout: 20)
  deadline = Time.now + timeout
  until (value = yield)
    raise "timed out after #{timeout}s waiting for #{what}" if Time.now > deadline

    sleep 0.1
  end
  value
end

# The scheduled-set poller runs every second on average (between 0.5 and 1.5 s), and its first
# poll comes up to 5 s after the process starts; hence the slack.
def on_time(what, actual, due, slack: 6.5)
  raise "#{what} ran #{due - actual}s early" if actual < due - 0.005
  raise "#{what} ran #{actual - due}s late" if actual > due + slack
end

def ran(jid)
  Sidekiq.redis { |r| r.lrange("compat:ran:#{jid}", 0, -1).map(&:to_f) }
end

def main
  puts "compat-version: sidekiq #{Sidekiq::VERSION}"
  puts "compat-version: redis-rb #{Redis::VERSION}"
  Sidekiq.redis(&:flushall)
  pid = Process.spawn({ 'REDIS_URL' => URL }, 'sidekiq', '-r', File.join(__dir__, 'tasks/sidekiq_jobs.rb'),
                      '-c', '3', '-t', '2', chdir: __dir__)
  begin
    wait_for('the sidekiq process to register') { Sidekiq::ProcessSet.new.size == 1 }
    process = Sidekiq::ProcessSet.new.first
    expect('process concurrency', process['concurrency'], 3)
    expect('process queues', process['queues'], ['default'])

    adds = (0...10).map { |i| AddJob.perform_async(i, 100) }
    bulk = Sidekiq::Client.push_bulk('class' => AddJob, 'args' => (10...15).map { |i| [i, 100] })
    adds += bulk
    flaky = FlakyJob.perform_async
    broken = BrokenJob.perform_async
    delayed_at = Time.now.to_f
    delayed = DelayedJob.perform_in(3)
    expect('scheduled set', Sidekiq::ScheduledSet.new.map(&:jid), [delayed])
    # A failed job waits in the retry set for 1 s (sidekiq_retry_in) plus Sidekiq's random
    # jitter of up to 9 s: its score there says when it is due.
    due = {}
    wait_for('both failing jobs in the retry set') do
      Sidekiq::RetrySet.new.each { |e| due[e.jid] ||= [e.at.to_f, e['error_message']] }
      due.size == 2
    end

    # Stats::processed lags: each process adds its counts at its heartbeat, every 5 s.
    state = lambda do
      { results: Sidekiq.redis { |r| r.hlen('compat:results') }, dead: Sidekiq::DeadSet.new.size,
        scheduled: Sidekiq::ScheduledSet.new.size, retry: Sidekiq::RetrySet.new.size,
        enqueued: Sidekiq::Queue.new.size, busy: Sidekiq::Workers.new.size }
    end
    done = { results: 15 + 1 + 1, dead: 1, scheduled: 0, retry: 0, enqueued: 0, busy: 0 }
    begin
      wait_for('every job to finish') { state.call == done }
    rescue RuntimeError
      warn "state: #{state.call}"
      raise
    end

    results = Sidekiq.redis { |r| r.hgetall('compat:results') }
    adds.each_with_index do |jid, i|
      expect("AddJob #{jid}", [results[jid], ran(jid).size], [(i + 100).to_s, 1])
    end
    expect('FlakyJob result', results[flaky], 'recovered')
    first, second = ran(flaky)
    expect('FlakyJob error', due[flaky][1], 'flaky: first attempt fails')
    raise 'FlakyJob retry due too soon' if due[flaky][0] < first + 1
    on_time('FlakyJob retry', second, due[flaky][0])

    dead = Sidekiq::DeadSet.new.to_a
    expect('dead set', dead.map(&:jid), [broken])
    expect('dead job error', [dead[0]['error_class'], dead[0]['error_message']],
           ['RuntimeError', 'broken: always fails'])
    expect('dead job retry count', dead[0]['retry_count'], 1)
    expect('retries exhausted hook', Sidekiq.redis { |r| r.hgetall('compat:exhausted') },
           { broken => 'broken: always fails' })
    first, second = ran(broken)
    raise 'BrokenJob retry due too soon' if due[broken][0] < first + 1
    on_time('BrokenJob retry', second, due[broken][0])

    expect('DelayedJob result', results[delayed], 'on time')
    on_time('DelayedJob', ran(delayed)[0], delayed_at + 3)

    expect('queues', Sidekiq::Queue.all.map { |q| [q.name, q.size] }, [['default', 0]])

    # Retry the dead job from the API, as the Web UI does: it runs once more, and having used
    # up its retries goes straight back to the dead set.
    dead[0].retry
    wait_for('the dead job to run again') { ran(broken).size == 3 && Sidekiq::DeadSet.new.size == 1 }
  ensure
    Process.kill('TERM', pid)
    _, status = Process.wait2(pid)
    expect('sidekiq exit status', status.exitstatus, 0)
  end
  expect('processes after shutdown', Sidekiq::ProcessSet.new.size, 0)
  # A stopping process adds its last counts: 21 runs (15 + 2 + 3 + 1), 4 of them failures.
  stats = Sidekiq::Stats.new
  expect('stats', [stats.processed, stats.failed, stats.dead_size, stats.enqueued], [21, 4, 1, 0])
  expect('processed history', Sidekiq::Stats::History.new(1).processed.values.sum, 21)
  Sidekiq::DeadSet.new.clear
  expect('dead set cleared', Sidekiq::DeadSet.new.size, 0)
  puts 'sidekiq: all checks passed'
end

begin
  main
rescue StandardError => e
  warn "sidekiq: FAILED: #{e.class}: #{e.message}"
  warn e.backtrace.first(5).join("\n")
  exit 1
end
